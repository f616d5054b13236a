/** A partition of a topic, and what the application hears when the group moves partitions. */
export interface TopicPartition<T extends string = string> {
  readonly topic: T;
  readonly partition: number;
}

/**
 * Java's ConsumerRebalanceListener. Called from the consumer's group handling, between records: the
 * consumer does not hand out records of a partition being revoked while its listener runs.
 */
export interface RebalanceListener {
  /**
   * Partitions are taken away — all of them in an eager rebalance, only those that move to another
   * member in a cooperative one — after the consumer committed what was finished in them (with
   * auto-commit): commit your own state here; `commit()` works. Also on `close()`.
   */
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  /**
   * After partitions are given, before their first record is fetched: the partitions new to this
   * member (cooperative: not those it kept). Called after every rebalance, with `[]` when nothing new
   * came, as Java's.
   */
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>;
  /**
   * Partitions were lost, not revoked: the member was fenced or left the group (its session expired, or
   * the application held a record longer than `maxPollIntervalMs`), and other members may own them
   * already. Nothing was committed, and committing now fails. Without this listener
   * `onPartitionsRevoked` is called instead, as Java's default `onPartitionsLost` does.
   */
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>;
}

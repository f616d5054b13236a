/**
 * One Kafka node of a running stack stopped and started again on its data — the faults a real
 * cluster meets (a crash, a rolling restart), on demand, for tests that prove what clients do then.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '../errors.js';
import { relaunchKafkaNode, waitForKafka } from './kafka-server.js';
import { resolveStackOptions, type StackOptions } from './options.js';
import { isAlive, isOurProcess, stopProcess } from './processes.js';
import { readState, withLock, writeState, type KafkaNodeState, type StackState } from './stack.js';

/** SIGKILL: the node dies at once, as in a crash. SIGTERM: a clean (controlled) shutdown. */
export type NodeStopSignal = 'SIGKILL' | 'SIGTERM';

function nodeOf(options: StackOptions, nodeId: number): { state: StackState; node: KafkaNodeState } {
  const state = readState(options);
  if (!state) {
    throw new StackError('STACK_NOT_RUNNING', `no stack runs in ${options.stateDir}`, {
      context: { stateDir: options.stateDir },
    });
  }
  const node = state.kafka.find((n) => n.nodeId === nodeId);
  if (!node) {
    throw new StackError(
      'STACK_NOT_RUNNING',
      `the stack in ${options.stateDir} has no Kafka node ${nodeId} (nodes: ${state.kafka.map((n) => n.nodeId).join(', ')})`,
      { context: { stateDir: options.stateDir, nodeId } },
    );
  }
  return { state, node };
}

/**
 * Stops one node and resolves once its process is gone. SIGTERM waits up to `graceMs` for the clean
 * shutdown (leadership handed over, logs flushed), then kills; a node already stopped is left alone.
 */
export async function stopKafkaNode(
  nodeId: number,
  signal: NodeStopSignal,
  options: StackOptions = resolveStackOptions(),
  graceMs = 60_000,
): Promise<void> {
  const { state, node } = nodeOf(options, nodeId);
  if (!isOurProcess(node.pid, state.marker)) return;
  if (signal === 'SIGTERM') {
    await stopProcess(node.pid, state.marker, graceMs);
    return;
  }
  try {
    process.kill(node.pid, 'SIGKILL');
  } catch {
    return;
  }
  while (isAlive(node.pid)) await sleep(20);
}

/**
 * Starts a stopped node again with the same node id, configuration and directories (its data kept),
 * and resolves once it answers a metadata request that names every running node, itself included —
 * that is, once it has rejoined the cluster. A node that runs is left alone.
 */
export async function startKafkaNode(
  nodeId: number,
  options: StackOptions = resolveStackOptions(),
  timeoutMs = options.startTimeoutMs,
): Promise<void> {
  const restarted = await withLock(options, () => {
    const { state, node } = nodeOf(options, nodeId);
    if (isOurProcess(node.pid, state.marker)) return Promise.resolve(undefined);
    if (node.command.length === 0) {
      throw new StackError(
        'STACK_NOT_RUNNING',
        `node ${nodeId} was started by an older avrokit that did not record how; run 'avrokit stack down' then 'up'`,
        { context: { nodeId } },
      );
    }
    const started = { ...relaunchKafkaNode(node), version: node.version };
    writeState(options, {
      ...state,
      kafka: state.kafka.map((n) => (n.nodeId === nodeId ? started : n)),
    });
    const running = state.kafka.filter((n) => n.nodeId === nodeId || isOurProcess(n.pid, state.marker));
    return Promise.resolve({ node: started, running: running.length });
  });
  if (!restarted) return;
  await waitForKafka(
    [`${options.host}:${restarted.node.port}`],
    [restarted.node],
    timeoutMs,
    restarted.running,
  );
}

export { stackUp, stackDown, stackStatus, exportLines, exportVariables } from './stack.js';
export type { ClusterEndpoints, SecureEndpoints, StackStatus, UpResult } from './stack.js';
export { stopKafkaNode, startKafkaNode } from './node-control.js';
export type { NodeStopSignal } from './node-control.js';
export {
  resolveStackOptions,
  parseBrokerCount,
  externalClusterFrom,
  DEFAULT_KAFKA_VERSION,
  DEFAULT_APICURIO_VERSION,
} from './options.js';
export type { StackOptions, ExternalCluster } from './options.js';

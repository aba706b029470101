export { encodeBatch, decodeBatch, peekBatchCount, BINARY_FORMAT_VERSION } from './codec.ts';

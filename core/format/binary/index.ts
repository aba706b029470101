export { encodeBatch, decodeBatch, peekBatchCount, validateBatch, BINARY_FORMAT_VERSION } from './codec.ts';

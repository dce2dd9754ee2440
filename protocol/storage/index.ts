/**
 * The stores on disk and in memory that the extension, the `weft` command, the
 * benchmarks and tools/ open: the segment log, the chunk stores, the object files, and
 * the two durable-file helpers `weft peer`'s identity store uses.
 */
export { FileLogStore } from './file-log-store.js';
export { PackChunkStore } from './chunk-store-pack.js';
export { FileChunkStore } from './chunk-store-file.js';
export { MemoryChunkStore } from './memory-chunk-store.js';
export { NodeObjectFiles } from './node-object-files.js';
export { errorCode, fsyncDirectory } from './durable-fs.js';

/**
 * The folder mirror's entry point: one FolderMirror (text and binary files) over a
 * Folder on disk, run by the extension (extension/workspace/) and `weft peer`
 * (bin/peer-mirror.ts), and the first import of a folder into a new share.
 */
export { FolderMirror } from './folder-mirror.js';
export { BinaryMirror, type BinaryFetchEvent } from './binary-mirror.js';
export { MirrorRecords } from './mirror-records.js';
export { NodeFolder, TEMP_MARK } from './node-folder.js';
export { NodeRecordJournal } from './node-record-journal.js';
export { GitCheckout } from './git-checkout.js';
export { importFolder } from './import-folder.js';

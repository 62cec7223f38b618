export { streamLogs } from './streamLogs.js';
export type { StreamLogsOptions } from './streamLogsOptions.js';
export { Demultiplexer, type FrameReceiver, type StreamKind } from './demultiplex.js';
export { LineSplitter, DRIVER_PIECE_BYTES, type LineSplitterOptions } from './splitLines.js';
export { CursorTracker, decodeCursor, encodeCursor, resumeFilter, type LogCursor, type StreamPosition } from './logCursor.js';

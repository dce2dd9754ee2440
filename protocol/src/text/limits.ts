/** Ids per agent are kept below 2^31 (int32 columns). */
export const MAX_SEQ = 0x7fffffff;
/** Longest accepted agent id string, in UTF-16 units. */
export const MAX_AGENT_LENGTH = 256;

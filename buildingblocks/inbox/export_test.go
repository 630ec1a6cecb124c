package inbox

// PurgeChunk is purgeChunk, for the test that purges in several chunks.
const PurgeChunk = purgeChunk

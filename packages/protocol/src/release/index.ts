// @lormas/protocol/release: the release key and its signature check, and the hash a
// manifest gives of its build, with no schema. The
// agent's launcher stays resident beside the agent and verifies every build it starts; it
// imports this face alone, since the package's main entry builds every schema of the
// contract when it loads (about 6 MiB resident on Node, more on Bun). The signed manifest's
// schema (`ReleaseManifest`) is in the main entry.
export { hashFile } from './hashFile.js';
export { parseReleaseKey, releaseKeyFingerprint, encodeReleaseKey, verifyManifestSignature, type ReleaseKey } from './releaseKey.js';

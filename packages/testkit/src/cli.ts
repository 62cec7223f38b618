import { ensureEngine, ensureTestImage, TEST_IMAGE } from './engine.js';

/** `pnpm testbed`: makes sure the main engine runs and holds the test image. */
const state = await ensureEngine();
await ensureTestImage();
console.log(`docker engine ${state}; test image ${TEST_IMAGE} ready`);

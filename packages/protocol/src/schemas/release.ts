import * as z from 'zod';
import { builtSchema, lazySchema } from './lazySchema.js';
import { BoundedShort, Limit } from './limits.js';
import { OperationId } from './operation.js';

/** The name of the manifest format: a future change of its meaning gets a new name. */
export const RELEASE_MANIFEST_FORMAT = 'lormas-agent-release/1';

/**
 * An agent version: `MAJOR.MINOR.PATCH`, with an optional pre-release after `-`, in semver
 * 2.0's canonical form: no numeric part with a leading zero (`01`, `rc.01`), since semver gives
 * such a version no precedence, and every version this accepts must order against every other
 * (`compareAgentVersions`). Build metadata after `+` is not allowed either: it does not order.
 */
export const AgentVersion = z
  .string()
  .max(Limit.shortChars)
  .regex(
    /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(-(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?$/,
    'MAJOR.MINOR.PATCH, with an optional -pre-release, and no numeric part with a leading zero',
  );

/** How an agent build runs: `js`, one JavaScript file for Node.js 18+ or Bun; `exe`, a single executable (Bun compiled in). */
export const ArtifactKind = z.enum(['js', 'exe']);
export type ArtifactKind = z.infer<typeof ArtifactKind>;

/** The CPU a build is for, in Node's words (`process.arch`); `any` for a `js` build. */
export const ReleaseArch = z.enum(['any', 'x64', 'arm64']);
export type ReleaseArch = z.infer<typeof ReleaseArch>;

/** A SHA-256 digest, lowercase hex. */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');

/**
 * What a release key vouches for: one agent build. The operator's release key (Ed25519)
 * signs the manifest's exact text (UTF-8), which travels as text beside its signature, so
 * nothing has to be canonicalised: the agent checks the signature over the bytes it got,
 * and only then parses them.
 */
export const ReleaseManifest = lazySchema(() =>
  z.strictObject({
    format: z.literal(RELEASE_MANIFEST_FORMAT),
    version: AgentVersion,
    kind: ArtifactKind,
    arch: ReleaseArch,
    /** SHA-256 of the build's bytes. */
    sha256: Sha256Hex,
    sizeBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    /** The protocol version (`MAJOR.MINOR`) the build speaks. */
    protocolVersion: z.string().regex(/^\d+\.\d+$/),
  }),
);
export type ReleaseManifest = z.infer<typeof ReleaseManifest>;

/** The largest manifest text accepted: a manifest is a few hundred bytes. */
export const MAX_MANIFEST_CHARS = 4_096;

/** A manifest and the release key's signature over its text. */
export const SignedRelease = lazySchema(() =>
  z.strictObject({
    /** The manifest's exact text: a JSON object that `ReleaseManifest` accepts. */
    manifest: z.string().min(2).max(MAX_MANIFEST_CHARS),
    /** The Ed25519 signature over the manifest's UTF-8 bytes, base64 (64 bytes). */
    signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'a base64 Ed25519 signature (64 bytes)'),
  }),
);
export type SignedRelease = z.infer<typeof SignedRelease>;

/**
 * `agent.upgrade`'s input. The agent downloads the build from `path` on the server it is
 * connected to (never another host), checks size, hash and signature, places it beside the
 * running build and hands over to it through its launcher.
 */
export const UpgradeAgentInput = lazySchema(() =>
  z.strictObject({
    operationId: OperationId,
    release: builtSchema(SignedRelease),
    /** Where the build is, on the server's own origin: an absolute path (`/agent/builds/<sha256>`). */
    path: z
      .string()
      .max(Limit.pathChars)
      .regex(/^\/(?:[A-Za-z0-9._~!$&'()*+,;=:@%-][A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$/, 'an absolute path on the server, without a host, a query or a fragment'),
  }),
);
export type UpgradeAgentInput = z.input<typeof UpgradeAgentInput>;

/**
 * `handing-over`: the build is verified and in place; the agent closes its link and its
 * launcher starts the build, which must have its session accepted and reach the engine within
 * `deadlineMs`, or the launcher goes back to the running build. `current`: the agent runs
 * this version already; nothing happens.
 */
export const UpgradeAgentResult = lazySchema(() =>
  z.object({
    outcome: z.enum(['handing-over', 'current']),
    version: BoundedShort,
    /** How long the new build has, on the node, to come online before the launcher goes back. */
    deadlineMs: z.number().int().min(0).max(2 ** 31 - 1),
  }),
);
export type UpgradeAgentResult = z.infer<typeof UpgradeAgentResult>;

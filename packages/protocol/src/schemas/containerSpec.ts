import * as z from 'zod';
import { lazySchema } from './lazySchema.js';
import { Limit } from './limits.js';

/** Labels whose keys start with this prefix are set by the agent alone. */
export const RESERVED_LABEL_PREFIX = 'lormas.';

/** Labels the agent puts on every container it creates. */
export const ManagedLabel = {
  managed: 'lormas.managed',
  node: 'lormas.node',
  serverId: 'lormas.server-id',
  fenceAfterMs: 'lormas.fence-after-ms',
} as const;

const containerName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'a Docker container name: letters, digits, "_", "." and "-"');

const envName = z
  .string()
  .max(Limit.nameChars)
  .regex(/^[^=\0]+$/, 'an environment variable name without "=" or NUL');

const labelKey = z
  .string()
  .min(1)
  .max(Limit.nameChars)
  .refine((key) => !key.startsWith(RESERVED_LABEL_PREFIX), {
    message: `label keys starting with "${RESERVED_LABEL_PREFIX}" are reserved for the agent`,
  });

const path = z.string().startsWith('/').max(Limit.pathChars);
const value = z.string().max(Limit.valueChars);
const argv = z.array(value).max(Limit.listItems);
/** A record of at most `Limit.listItems` entries. */
const boundedRecord = <K extends z.ZodType<string, string>>(key: K) =>
  z.record(key, value).refine((record) => Object.keys(record).length <= Limit.listItems, { message: `at most ${Limit.listItems} entries` });
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const positive = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * The spec schemas, built with `object` for every object in them: `z.strictObject` for what
 * a server sends (an unknown field is refused, never dropped, so the agent never creates
 * something other than what was asked), `z.object` for what an agent reports back (a newer
 * agent of the same major may add fields; a server keeps only those it knows).
 */
function specSchemas(object: typeof z.object) {
  const Mount = z.discriminatedUnion('type', [
    object({
      type: z.literal('volume'),
      /** Named volume; created if missing. */
      source: z.string().max(Limit.nameChars).regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, 'a Docker volume name'),
      target: path,
      readOnly: z.boolean().default(false),
    }),
    object({
      type: z.literal('bind'),
      /** Absolute host path; allowed only under the agent's bind allow-list. */
      source: path,
      target: path,
      readOnly: z.boolean().default(false),
    }),
    object({
      type: z.literal('tmpfs'),
      target: path,
      readOnly: z.boolean().default(false),
      sizeBytes: positive.optional(),
    }),
  ]);

  const RestartPolicy = object({
    name: z.enum(['no', 'always', 'unless-stopped', 'on-failure']),
    maximumRetryCount: count.optional(),
  });

  const Resources = object({
    memoryBytes: positive.optional(),
    /** CPU quota in units of 1e-9 CPUs, as Docker's `NanoCpus`. */
    nanoCpus: positive.optional(),
    pidsLimit: positive.optional(),
  });

  const Healthcheck = object({
    /** As Docker's `Test`: `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`. */
    test: argv.min(1),
    intervalMs: positive.optional(),
    timeoutMs: positive.optional(),
    retries: count.optional(),
    startPeriodMs: count.optional(),
  });

  const Device = object({
    pathOnHost: path,
    pathInContainer: path,
    cgroupPermissions: z.string().regex(/^[rwm]{1,3}$/).default('rwm'),
  });

  const ContainerSpec = object({
    name: containerName,
    image: z.string().min(1).max(Limit.nameChars),
    cmd: argv.optional(),
    entrypoint: argv.optional(),
    env: boundedRecord(envName).default({}),
    labels: boundedRecord(labelKey).default({}),
    workingDir: path.optional(),
    user: z.string().max(Limit.nameChars).optional(),
    tty: z.boolean().default(false),
    mounts: z.array(Mount).max(Limit.listItems).default([]),
    restartPolicy: RestartPolicy.optional(),
    resources: Resources.optional(),
    healthcheck: Healthcheck.optional(),
    stopTimeoutSeconds: count.optional(),
    // The fields below are judged by the agent's guard rails; see the README's security model.
    privileged: z.boolean().default(false),
    /** `none`, `bridge`, a network name, `host` or `container:<id>`. */
    networkMode: z.string().min(1).max(Limit.nameChars).optional(),
    pidMode: z.string().min(1).max(Limit.nameChars).optional(),
    ipcMode: z.string().min(1).max(Limit.nameChars).optional(),
    utsMode: z.string().min(1).max(Limit.nameChars).optional(),
    capAdd: z.array(z.string().min(1).max(Limit.shortChars)).max(Limit.listItems).default([]),
    devices: z.array(Device).max(Limit.listItems).default([]),
    securityOpt: z.array(z.string().min(1).max(Limit.messageChars)).max(Limit.listItems).default([]),
  });

  return { Mount, RestartPolicy, Resources, Healthcheck, Device, ContainerSpec };
}

// Built on first use, like every schema of the contract (see `lazySchema`); each object
// schema is built once, so `ContainerSpec` embeds the same `Mount` that is exported.
let strictSchemas: ReturnType<typeof specSchemas> | undefined;
const strict = () => (strictSchemas ??= specSchemas(z.strictObject as typeof z.object));

export const Mount = lazySchema(() => strict().Mount);
export type Mount = z.infer<typeof Mount>;
export const RestartPolicy = lazySchema(() => strict().RestartPolicy);
export type RestartPolicy = z.infer<typeof RestartPolicy>;
export const Resources = lazySchema(() => strict().Resources);
export type Resources = z.infer<typeof Resources>;
export const Healthcheck = lazySchema(() => strict().Healthcheck);
export type Healthcheck = z.infer<typeof Healthcheck>;
export const Device = lazySchema(() => strict().Device);
export type Device = z.infer<typeof Device>;

/**
 * What the server asks an agent to run. Field names follow the Docker Engine API in
 * camelCase. The object is strict: an unknown field is refused, never dropped.
 */
export const ContainerSpec = lazySchema(() => strict().ContainerSpec);
export type ContainerSpec = z.infer<typeof ContainerSpec>;
/** A spec as a caller writes it, with defaults not yet applied. */
export type ContainerSpecInput = z.input<typeof ContainerSpec>;

/**
 * A spec as an agent reports it (rebuilt from the engine by `containers.inspect`): the same
 * fields and bounds, with fields a newer agent may add dropped instead of refused.
 */
export const ReportedContainerSpec = lazySchema(() => specSchemas(z.object).ContainerSpec);

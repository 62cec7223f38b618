import { z } from 'zod';

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

const envName = z.string().regex(/^[^=\0]+$/, 'an environment variable name without "=" or NUL');

const labelKey = z
  .string()
  .min(1)
  .refine((key) => !key.startsWith(RESERVED_LABEL_PREFIX), {
    message: `label keys starting with "${RESERVED_LABEL_PREFIX}" are reserved for the agent`,
  });

export const Mount = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('volume'),
    /** Named volume; created if missing. */
    source: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, 'a Docker volume name'),
    target: z.string().startsWith('/'),
    readOnly: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('bind'),
    /** Absolute host path; allowed only under the agent's bind allow-list. */
    source: z.string().startsWith('/'),
    target: z.string().startsWith('/'),
    readOnly: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('tmpfs'),
    target: z.string().startsWith('/'),
    readOnly: z.boolean().default(false),
    sizeBytes: z.number().int().positive().optional(),
  }),
]);
export type Mount = z.infer<typeof Mount>;

export const RestartPolicy = z.strictObject({
  name: z.enum(['no', 'always', 'unless-stopped', 'on-failure']),
  maximumRetryCount: z.number().int().min(0).optional(),
});
export type RestartPolicy = z.infer<typeof RestartPolicy>;

export const Resources = z.strictObject({
  memoryBytes: z.number().int().positive().optional(),
  /** CPU quota in units of 1e-9 CPUs, as Docker's `NanoCpus`. */
  nanoCpus: z.number().int().positive().optional(),
  pidsLimit: z.number().int().positive().optional(),
});
export type Resources = z.infer<typeof Resources>;

export const Healthcheck = z.strictObject({
  /** As Docker's `Test`: `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`. */
  test: z.array(z.string()).min(1),
  intervalMs: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
  retries: z.number().int().min(0).optional(),
  startPeriodMs: z.number().int().min(0).optional(),
});
export type Healthcheck = z.infer<typeof Healthcheck>;

export const Device = z.strictObject({
  pathOnHost: z.string().startsWith('/'),
  pathInContainer: z.string().startsWith('/'),
  cgroupPermissions: z.string().regex(/^[rwm]{1,3}$/).default('rwm'),
});
export type Device = z.infer<typeof Device>;

/**
 * What the server asks an agent to run. Field names follow the Docker Engine API in
 * camelCase. The object is strict: an unknown field is refused, never dropped, so the
 * agent never creates something other than what was asked.
 */
export const ContainerSpec = z.strictObject({
  name: containerName,
  image: z.string().min(1),
  cmd: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  env: z.record(envName, z.string()).default({}),
  labels: z.record(labelKey, z.string()).default({}),
  workingDir: z.string().startsWith('/').optional(),
  user: z.string().optional(),
  tty: z.boolean().default(false),
  mounts: z.array(Mount).default([]),
  restartPolicy: RestartPolicy.optional(),
  resources: Resources.optional(),
  healthcheck: Healthcheck.optional(),
  stopTimeoutSeconds: z.number().int().min(0).optional(),
  // The fields below are judged by the agent's guard rails; see the README's security model.
  privileged: z.boolean().default(false),
  /** `none`, `bridge`, a network name, `host` or `container:<id>`. */
  networkMode: z.string().min(1).optional(),
  pidMode: z.string().min(1).optional(),
  ipcMode: z.string().min(1).optional(),
  utsMode: z.string().min(1).optional(),
  capAdd: z.array(z.string().min(1)).default([]),
  devices: z.array(Device).default([]),
  securityOpt: z.array(z.string().min(1)).default([]),
});
export type ContainerSpec = z.infer<typeof ContainerSpec>;
/** A spec as a caller writes it, with defaults not yet applied. */
export type ContainerSpecInput = z.input<typeof ContainerSpec>;

/** A container's full id as the engine gives it: 64 lower-case hex digits. */
const FULL_ID = /^[0-9a-f]{64}$/;

export interface ManagedIdsOptions {
  /**
   * Ids remembered at most; the longest unused is forgotten first, and asked of the engine
   * again when next named. About 175 bytes an id on Node, its strings included.
   * @default 1_024 (ids)
   */
  capacity?: number;
}

/**
 * The full ids of containers this agent has found to be its own, so that a stop or a remove
 * of one of them need not ask the engine again before acting. That a container is managed by
 * this node holds for the container's whole life: its labels cannot change once it is created,
 * and the engine never gives a removed container's id to another. Only a full id is looked up
 * here: a name or a short id may name another container tomorrow, and is asked of the engine
 * every time. A remembered container that was removed behind the agent's back costs nothing:
 * the engine answers the act itself with "no such container", as it would have answered the
 * check.
 *
 * The name is the one the container had when it was last seen; a rename by hand on the host
 * is not seen until the container is looked at again.
 */
export class ManagedIds {
  private readonly capacity: number;
  private readonly names = new Map<string, string>();

  constructor(options: ManagedIdsOptions = {}) {
    this.capacity = options.capacity ?? 1_024;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new TypeError('ManagedIds: options.capacity must be a whole number of ids >= 1');
  }

  /** Notes that the container `id` (a full id; anything else is ignored) is managed by this node, and is named `name`. */
  remember(id: string, name: string): void {
    if (!FULL_ID.test(id)) return;
    this.names.delete(id);
    this.names.set(id, name);
    if (this.names.size > this.capacity) this.names.delete(this.names.keys().next().value!);
  }

  /** The container `idOrName` names, if it is a full id known to be managed: its id and last seen name. */
  lookup(idOrName: string): { id: string; name: string } | undefined {
    const name = this.names.get(idOrName);
    if (name === undefined) return undefined;
    // Used now: the last to be forgotten.
    this.names.delete(idOrName);
    this.names.set(idOrName, name);
    return { id: idOrName, name };
  }

  /** The container is gone, or was never there. */
  forget(id: string): void {
    this.names.delete(id);
  }

  get size(): number {
    return this.names.size;
  }
}

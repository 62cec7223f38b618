import * as z from 'zod';
import { AbortArchiveInput, ArchiveChunk, ArchiveTransfer, OpenArchiveInput, ReadArchiveInput, WriteArchiveInput, WriteArchiveResult } from '../schemas/archive.js';
import { ContainerDetails, ContainerList, InspectContainerInput, Inventory } from '../schemas/container.js';
import { ContainerEvent, WatchEventsInput } from '../schemas/events.js';
import { Heartbeat } from '../schemas/heartbeat.js';
import { isExactHeartbeat } from '../schemas/isExactHeartbeat.js';
import { Hello } from '../schemas/hello.js';
import { UpgradeAgentInput, UpgradeAgentResult } from '../schemas/release.js';
import { LogChunk, LogsInput } from '../schemas/logs.js';
import {
  ContainerResult,
  CreateContainerInput,
  GetOperationInput,
  OperationEvent,
  OperationStatus,
  PullImageInput,
  PullResult,
  RemoveContainerInput,
  RestartContainerInput,
  StartContainerInput,
  StopContainerInput,
  WatchOperationInput,
} from '../schemas/operation.js';
import { mutation, query, subscription } from './procedure.js';

/**
 * The contract between a Lormas server and its agents: every procedure an agent serves, once,
 * with its path, kind, input and output. Everything else is derived from this table: the
 * agent's dispatch and its handler types, the server's typed client and its validation of
 * what agents send, and the JSON Schema for servers in other languages.
 *
 * Inputs are strict (an unknown field is refused). Outputs and stream items drop fields they
 * do not know (a newer agent of the same major may add some) and bound every value.
 */
export const agentContract = {
  hello: query({ output: Hello, description: 'Agent and protocol version, node name, runtime and engine version; the server asks once per connection.' }),
  inventory: query({ output: Inventory, description: 'Every managed container; the server reads it after each (re)connect.' }),
  containers: {
    list: query({ output: ContainerList, description: 'Every managed container.' }),
    inspect: query({ input: InspectContainerInput, output: ContainerDetails, description: 'One managed container, with the spec rebuilt from the engine.' }),
    create: mutation({ input: CreateContainerInput, output: ContainerResult, description: 'Creates (and optionally starts) a container, pulling its image first when needed.' }),
    start: mutation({ input: StartContainerInput, output: ContainerResult, description: 'Starts a managed container.' }),
    stop: mutation({ input: StopContainerInput, output: ContainerResult, description: 'Stops a managed container.' }),
    restart: mutation({ input: RestartContainerInput, output: ContainerResult, description: 'Restarts a managed container.' }),
    remove: mutation({ input: RemoveContainerInput, output: ContainerResult, description: 'Removes a managed container.' }),
    events: subscription({
      input: WatchEventsInput,
      item: ContainerEvent,
      tracked: true,
      description: 'State changes of managed containers that no command caused; resumable.',
    }),
    logs: subscription({ input: LogsInput, item: LogChunk, tracked: true, checkedBySender: false, description: "A container's log, in chunks; resumes with no loss and no repeat." }),
  },
  images: {
    pull: mutation({ input: PullImageInput, output: PullResult, description: 'Pulls an image, with per-layer progress on `operations.watch`.' }),
  },
  operations: {
    get: query({ input: GetOperationInput, output: OperationStatus, description: "An operation's state and result." }),
    watch: subscription({ input: WatchOperationInput, item: OperationEvent, tracked: true, description: "An operation's progress events; resumable." }),
  },
  archives: {
    openRead: mutation({ input: OpenArchiveInput, output: ArchiveTransfer, description: "Opens a tar stream of a folder of a managed container (a volume's data)." }),
    read: mutation({ input: ReadArchiveInput, output: ArchiveChunk, description: 'The next chunk of a read transfer.' }),
    openWrite: mutation({ input: OpenArchiveInput, output: ArchiveTransfer, description: 'Opens a tar stream to unpack into a folder of a managed container.' }),
    write: mutation({ input: WriteArchiveInput, output: WriteArchiveResult, description: 'The next chunk of a write transfer.' }),
    abort: mutation({ input: AbortArchiveInput, output: z.void(), description: 'Ends a transfer early.' }),
  },
  agent: {
    upgrade: mutation({
      input: UpgradeAgentInput,
      output: UpgradeAgentResult,
      since: '1.1',
      description:
        "Upgrades the agent to a build signed by the node's release key: downloads it from this server, verifies size, hash and signature, and hands over to it through the node's launcher, which goes back by itself if the build does not come online in time.",
    }),
  },
  node: {
    heartbeats: subscription({ item: Heartbeat, tracked: false, isExactItem: isExactHeartbeat, description: "The node's vital signs, every heartbeat interval." }),
  },
} as const;

export type AgentContract = typeof agentContract;

import { z } from 'zod';
import { ArchiveChunk, ArchiveTransfer, OpenArchiveInput, ReadArchiveInput, WriteArchiveInput, WriteArchiveResult } from './schemas/archive.js';
import { ContainerDetails, ContainerSummary, Inventory } from './schemas/container.js';
import { ContainerSpec } from './schemas/containerSpec.js';
import { AgentErrorData, ErrorShape } from './schemas/error.js';
import { ContainerEvent } from './schemas/events.js';
import { Heartbeat } from './schemas/heartbeat.js';
import { Hello } from './schemas/hello.js';
import { LogChunk, LogEntry, LogsInput } from './schemas/logs.js';
import {
  ContainerResult,
  CreateContainerInput,
  OperationEvent,
  OperationStatus,
  PullImageInput,
  PullResult,
  RemoveContainerInput,
  StartContainerInput,
  StopContainerInput,
  WatchOperationInput,
} from './schemas/operation.js';

/** Every schema that crosses the wire, by the name a non-TypeScript server would use. */
export const wireSchemas = {
  ContainerSpec,
  ContainerSummary,
  ContainerDetails,
  Inventory,
  CreateContainerInput,
  StartContainerInput,
  StopContainerInput,
  RemoveContainerInput,
  PullImageInput,
  ContainerResult,
  PullResult,
  OperationEvent,
  OperationStatus,
  WatchOperationInput,
  ContainerEvent,
  LogsInput,
  LogEntry,
  LogChunk,
  Heartbeat,
  Hello,
  OpenArchiveInput,
  ArchiveTransfer,
  ReadArchiveInput,
  ArchiveChunk,
  WriteArchiveInput,
  WriteArchiveResult,
  AgentErrorData,
  ErrorShape,
} as const;

/** The contract as one JSON Schema document (draft 2020-12), with each schema under `$defs`. */
export function contractJsonSchema(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(wireSchemas)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any', uri: (id) => `#/$defs/${id}` }) as {
    schemas: Record<string, Record<string, unknown>>;
  };
  const $defs: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _, ...rest } = schema;
    $defs[id] = rest;
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://lormas.dev/schemas/node-agent-protocol.json',
    title: 'Lormas node agent protocol',
    $defs,
  };
}

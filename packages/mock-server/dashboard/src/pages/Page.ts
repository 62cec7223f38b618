import type { SessionView } from '../../../src/http/apiTypes.js';
import type { FleetState } from '../FleetState.js';

export interface PageContext {
  fleet: FleetState;
  session: SessionView;
  /** The page's clock, so relative times are drawn from one instant. */
  now(): number;
  navigate(path: string): void;
}

/** One page of the dashboard: built once, then `render` brings it up to date (on every change and every second). */
export interface Page {
  title: string;
  el: HTMLElement;
  render(): void;
  dispose?(): void;
}

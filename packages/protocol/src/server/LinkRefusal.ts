/** Thrown by a hub's `authenticate` to refuse a socket with a chosen close code. */
export class LinkRefusal extends Error {
  override name = 'LinkRefusal';
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

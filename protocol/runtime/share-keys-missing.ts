/** The share's keys are not here yet (a joiner before KEYS): objects cannot be stored, read or collected. */
export class ShareKeysMissingError extends Error {
  override readonly name = 'ShareKeysMissingError';
  constructor() {
    super('this node holds no key of the share yet: wait until it has joined');
  }
}

/** Does nothing: a listener or callback for a place that must have one. */
export function noop(): void {}

/** The label every service beyond the limit shares. */
export const OTHER_SERVICE = 'other';

/**
 * The `service` label of each service, bounded: the first `max` services seen
 * get their own, every later one shares `other`, so hostile or endless service
 * names cannot explode the number of series. Label objects are made once per
 * service: the hot path allocates nothing.
 */
export class ServiceLabels {
  readonly #max: number;
  readonly #labels = new Map<string, { readonly service: string }>();
  readonly #other = { service: OTHER_SERVICE } as const;

  constructor(max: number) {
    this.#max = max;
  }

  of(service: string): { readonly service: string } {
    const label = this.#labels.get(service);
    if (label) return label;
    if (this.#labels.size >= this.#max) return this.#other;
    const made = { service };
    this.#labels.set(service, made);
    return made;
  }
}

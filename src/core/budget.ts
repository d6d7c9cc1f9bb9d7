import { ErrorCode, HubError } from '../errors.js';

export interface BudgetOptions {
  /** What the budget counts, in the errors it throws: `parked requests`, `bytes of queued calls`. */
  readonly unit: string;
  /** The most in all, and the setting that sets it. */
  readonly total: number;
  readonly totalSetting: string;
  /** The most one service may hold, and its setting: its fair share of `total`. */
  readonly perService: number;
  readonly perServiceSetting: string;
}

/**
 * A resource the services share: parked requests, or bytes of queued calls. One
 * service may hold only its share, so a busy or hostile service runs into its
 * own limit (`service_full`) long before it can starve the others of the whole
 * (`hub_full`). Every `take` is paired with a `give` on every path.
 */
export class Budget {
  readonly #options: BudgetOptions;
  readonly #byService = new Map<string, number>();
  #used = 0;

  constructor(options: BudgetOptions) {
    this.#options = options;
  }

  #usedBy(service: string): number {
    return this.#byService.get(service) ?? 0;
  }

  /** Takes `amount` for `service`, or throws `hub_full` or `service_full` and takes nothing. */
  take(service: string, amount: number): void {
    const { unit, total, totalSetting, perService, perServiceSetting } = this.#options;
    if (this.#used + amount > total) {
      throw new HubError(
        ErrorCode.HubFull,
        `the hub already holds ${this.#used} ${unit} (${totalSetting} is ${total})`,
      );
    }
    const held = this.#usedBy(service);
    if (held + amount > perService) {
      throw new HubError(
        ErrorCode.ServiceFull,
        `service '${service}' already holds ${held} ${unit}, its share (${perServiceSetting} is ${perService})`,
      );
    }
    this.#used += amount;
    this.#byService.set(service, held + amount);
  }

  /** Gives back what `take` took. */
  give(service: string, amount: number): void {
    this.#used -= amount;
    const left = this.#usedBy(service) - amount;
    // A service that holds nothing leaves no entry, so the map stays as small as the traffic.
    if (left <= 0) this.#byService.delete(service);
    else this.#byService.set(service, left);
  }
}

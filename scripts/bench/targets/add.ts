/** The benchmark's workload, shared by every system: {"first": a, "second": b} → {"answer": a + b}. */
export interface AddRequest {
  readonly first: number;
  readonly second: number;
  readonly pad?: string;
}

export function add(request: AddRequest): { answer: number } {
  return { answer: request.first + request.second };
}

/**
 * Test tokens: a caller and a worker of `add`, a worker of `mul`, an operator.
 * The caller may also publish to the topic `orders`, the adder read it.
 */
export const TOKENS = {
  callerAdd: 'caller-add-0123456789',
  workerAdd: 'worker-add-0123456789',
  workerMul: 'worker-mul-0123456789',
  admin: 'admin-token-0123456789',
};

/** `HUB_AUTH_TOKENS` for `TOKENS`. */
export const authTokens = JSON.stringify({
  tokens: [
    {
      name: 'gateway',
      token: TOKENS.callerAdd,
      role: 'caller',
      services: ['add'],
      publish: ['orders'],
    },
    {
      name: 'adder',
      token: TOKENS.workerAdd,
      role: 'worker',
      services: ['add'],
      subscribe: ['orders'],
    },
    { name: 'multiplier', token: TOKENS.workerMul, role: 'worker', services: ['mul'] },
    { name: 'ops', token: TOKENS.admin, role: 'admin' },
  ],
});

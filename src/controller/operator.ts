import { Lifecycle, type LifecycleOptions } from '../runtime/lifecycle.js';
import { OperatorManager, type ManagerOptions } from './manager.js';

export { ListenError, type ListenAddr } from '../runtime/lifecycle.js';

/** What the operator runs, beyond its manager: probes, metrics, leader election. */
export interface OperatorOptions extends ManagerOptions, LifecycleOptions {}

/**
 * The operator's lifecycle (runtime/lifecycle.ts), wired once for every way
 * it runs (`run`, `npm start`'s demo, the benchmarks, the tests): the
 * IstioOperator manager, served, elected and stopped in order.
 */
export class Operator extends Lifecycle<OperatorManager> {
  constructor(opts: OperatorOptions) {
    super(new OperatorManager(opts), opts);
  }

  /** The IstioOperator manager this lifecycle runs. */
  get manager(): OperatorManager {
    return this.runnable;
  }
}

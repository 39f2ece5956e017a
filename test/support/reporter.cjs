// Mocha's spec reporter plus one closing line, `tests: N passed, M failed`,
// which CI reads. CommonJS because mocha loads reporters with require().
'use strict';
const Mocha = require('mocha');

class SpecWithTotals extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      const pending = s.pending > 0 ? `, ${s.pending} skipped` : '';
      process.stdout.write(`tests: ${s.passes} passed, ${s.failures} failed${pending}\n`);
    });
  }
}

module.exports = SpecWithTotals;

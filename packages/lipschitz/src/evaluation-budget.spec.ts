import { EvaluationBudget } from './evaluation-budget';

/**
 * A trial on a fake clock: `epochs` epochs of `epochSeconds` each, an evaluation scheduled after
 * every epoch, costing `cold` seconds the first time and `warm` after. Returns the epochs evaluated
 * and the share of the trial's time spent evaluating.
 */
function simulate(share: number, epochs: number, epochSeconds: number, cold: number, warm: number, catchUp = false) {
  let now = 0;
  const budget = new EvaluationBudget(share, 0, epochs, () => now);
  const evaluated: number[] = [];
  const skipped: number[] = [];
  const evaluate = (epoch: number) => {
    // With `catchUp`, an evaluation after k skipped ones costs (k + 1) warm ones, up to a cold one.
    const behind = evaluated.length === 0 ? 0 : epoch - evaluated[evaluated.length - 1] - 1;
    const cost = evaluated.length === 0 ? cold : catchUp ? Math.min(cold, warm * (1 + behind)) : warm;
    now += cost;
    skipped.push(...budget.recorded(cost));
    evaluated.push(epoch);
  };
  evaluate(0);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    now += epochSeconds;
    if (budget.admits(epoch)) evaluate(epoch);
  }
  if (evaluated.at(-1) !== epochs) evaluate(epochs);
  return { evaluated, skipped, share: budget.estimating / now, count: budget.skipped };
}

describe('EvaluationBudget', () => {
  it('keeps the estimating share of a trial within the budget and spends most of it', () => {
    // 100 s of training; 10 % of the trial allows 11.1 s of estimating: 3 s cold + 4 warm at 2 s.
    const { evaluated, skipped, share, count } = simulate(0.1, 10, 10, 3, 2);
    expect(share).toBeLessThanOrEqual(0.1);
    expect(evaluated.length).toBeGreaterThanOrEqual(4);
    expect(evaluated[0]).toBe(0);
    expect(evaluated.at(-1)).toBe(10);
    // Every scheduled epoch is either evaluated or reported as skipped, once.
    expect([...evaluated, ...skipped].sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(count).toBe(skipped.length);
  });

  it('holds the budget over many trial shapes whenever the two fixed evaluations fit in it', () => {
    let random = 7;
    const next = () => ((random = (random * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 200; i++) {
      const epochs = 2 + Math.floor(next() * 40);
      const epochSeconds = 0.5 + next() * 60;
      const warm = 0.05 + next() * 20;
      const cold = warm * (1 + 2 * next());
      const share = 0.02 + next() * 0.3;
      const result = simulate(share, epochs, epochSeconds, cold, warm);
      const fixed = (cold + warm) / (epochs * epochSeconds + cold + warm);
      if (fixed <= share) expect({ i, within: result.share <= share + 1e-12 }).toEqual({ i, within: true });
      else expect({ i, evaluated: result.evaluated }).toEqual({ i, evaluated: [0, epochs] });
      // Estimators that make up for skipped evaluations: the final one may cost a cold one.
      const catchingUp = simulate(share, epochs, epochSeconds, cold, warm, true);
      if ((2 * cold) / (epochs * epochSeconds + 2 * cold) <= share) expect({ i, within: catchingUp.share <= share + 1e-12 }).toEqual({ i, within: true });
    }
  });

  it('spreads the evaluations in between over the trial instead of spending the budget first', () => {
    // paper-128's shape: 30 epochs of 40 s, a cold evaluation of 38 s, warm ones of 17 s.
    const { evaluated, share } = simulate(0.1, 30, 40, 38, 17);
    expect(share).toBeLessThanOrEqual(0.1);
    // The budget (about 132 s) holds the cold first evaluation, a final one reckoned at 38 s, and
    // warm ones; one after skipped evaluations is reckoned at 38 s too (estimators may make up for
    // them). Greedy, the ones in between came at epochs 1, 2 and 3; paced, the first at once (the
    // budget accrued by then covers it) and the next near a third of the way.
    expect(evaluated).toEqual([0, 1, 9, 30]);
  });

  it('runs every scheduled evaluation when the budget is 0, and always the first and the last', () => {
    expect(simulate(0, 6, 0.01, 5, 5).evaluated).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // Estimating dwarfs training: only the two ends are left.
    expect(simulate(0.1, 6, 0.01, 5, 5)).toMatchObject({ evaluated: [0, 6], skipped: [1, 2, 3, 4, 5], count: 5 });
  });

  it('without the epoch count, keeps the share so far within the budget at each evaluation', () => {
    let now = 0;
    const budget = new EvaluationBudget(0.2, 0, undefined, () => now);
    now = 1;
    budget.recorded(1);
    const shares: number[] = [];
    for (let epoch = 1; epoch <= 30; epoch++) {
      now += 2;
      if (budget.admits(epoch)) {
        now += 1;
        budget.recorded(1);
        shares.push(budget.estimating / now);
      }
    }
    expect(shares.length).toBeGreaterThan(5);
    for (const s of shares) expect(s).toBeLessThanOrEqual(0.2);
  });

  it('counts a resumed trial from its checkpoint epoch', () => {
    let now = 0;
    const budget = new EvaluationBudget(0.1, 8, 20, () => now);
    expect(budget.admits(8)).toBe(true);
    now = 10;
    expect(budget.admits(9)).toBe(true);
    now += 3;
    budget.recorded(3);
    // Six epochs of 10 s since the checkpoint, six to go: 3 s spent, 6 s more (this one and the
    // last) fit 10 % of about 129 s, and half of the trial's budget is due by its middle. Counting
    // epochs from 0 would project 4.3 s epochs and skip it.
    now += 50;
    expect(budget.admits(14)).toBe(true);
    expect(budget.admits(20)).toBe(true);
  });
});

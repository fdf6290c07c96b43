import { initBackend } from '@mmfuse/backend';
import { compileNamePattern, globToRegExp } from './name-pattern';
import { ParameterSelector } from './parameter-selection';
import { paperLikeModel } from './testing/fake-model';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('name patterns', () => {
  it('match * within a path segment, ** across segments and ? for one character', () => {
    const match = (pattern: string, name: string) => compileNamePattern(pattern)(name);
    expect(match('fusion/projection*/kernel', 'fusion/projection0/kernel')).toBe(true);
    expect(match('fusion/projection*/kernel', 'fusion/projection12/kernel')).toBe(true);
    expect(match('fusion/projection*/kernel', 'fusion/projection0/dense0/kernel')).toBe(false);
    expect(match('fusion/projection*/**/kernel', 'fusion/projection0/dense1/kernel')).toBe(true);
    expect(match('**/kernel', 'encoder:camera/conv0/kernel')).toBe(true);
    expect(match('**/kernel', 'encoder:camera/conv0/bias')).toBe(false);
    expect(match('encoder:*', 'encoder:camera')).toBe(true);
    expect(match('encoder:*', 'decoder:camera')).toBe(false);
    expect(match('fusion/projection?/kernel', 'fusion/projection1/kernel')).toBe(true);
    expect(match('fusion/projection?/kernel', 'fusion/projection12/kernel')).toBe(false);
  });

  it('take every other character literally (regular-expression characters included)', () => {
    expect(globToRegExp('encoder:cam.ra').test('encoder:camXra')).toBe(false);
    expect(globToRegExp('a+b(c)').test('a+b(c)')).toBe(true);
    expect(globToRegExp('fusion').test('fusion/projection0/kernel')).toBe(false);
  });

  it('accept a list, matching when any pattern does', () => {
    const match = compileNamePattern(['encoder:*', 'fusion']);
    expect(['encoder:joints', 'fusion', 'decoder:joints'].map(match)).toEqual([true, true, false]);
  });
});

describe('ParameterSelector', () => {
  let model: ReturnType<typeof paperLikeModel>;
  beforeAll(() => {
    model = paperLikeModel();
  });
  const names = (subModels: string | string[], parameters: string | string[], accept?: (p: { variable: { rank: number } }) => boolean) =>
    new ParameterSelector({ subModels, parameters }, accept).select(model).map((p) => p.name);

  it('picks exactly the attention projections, not the decoder\'s projection of the same name', () => {
    expect(names('*', 'fusion/projection*/kernel')).toEqual(['fusion/projection0/kernel', 'fusion/projection1/kernel']);
    expect(names('*', '**/projection*/kernel')).toEqual(['fusion/projection0/kernel', 'fusion/projection1/kernel', 'decoder:camera/projection/kernel']);
  });

  it('filters by sub-model first, then by parameter name and by the caller\'s test', () => {
    expect(names('encoder:*', '**/kernel')).toEqual(['encoder:camera/conv0/kernel', 'encoder:camera/dense0/kernel', 'encoder:joints/dense0/kernel']);
    expect(names(['decoder:joints', 'fusion'], '**')).toEqual(['fusion/projection0/kernel', 'fusion/projection1/kernel', 'decoder:joints/dense0/kernel', 'decoder:joints/dense0/bias']);
    expect(names('*', '**', (p) => p.variable.rank === 1)).toEqual(['encoder:camera/conv0/bias', 'encoder:joints/dense0/bias', 'decoder:camera/projection/bias', 'decoder:joints/dense0/bias']);
    expect(names('fusion', 'fusion/projection*/bias')).toEqual([]);
  });

  it('selects once per model', () => {
    const selector = new ParameterSelector({ subModels: '*', parameters: '**' });
    expect(selector.select(model)).toBe(selector.select(model));
    expect(selector.select(paperLikeModel())).not.toBe(selector.select(model));
  });
});

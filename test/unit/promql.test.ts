import { describe, expect, it } from 'vitest';
import { exposedNames, metricNames, sampleSum } from '../helpers/promql';

describe('metricNames', () => {
  it('takes metric names and leaves functions, aggregations, labels, durations and keywords', () => {
    expect(metricNames('sum by (node, score) (rate(a_total{job="x",q=~"[0-5]"}[5m] offset 1m)) / ignoring(q) group_left b > 0.5 and on (node) c_seconds == bool 1e3').sort()).toEqual(['a_total', 'b', 'c_seconds']);
  });

  it('finds a bare metric and one compared with a number', () => {
    expect(metricNames('up == 0')).toEqual(['up']);
    expect(metricNames('hoinghi_process_open_fds / hoinghi_process_max_fds > 0.85')).toEqual(['hoinghi_process_open_fds', 'hoinghi_process_max_fds']);
  });

  it('does not take words inside strings', () => {
    expect(metricNames('label_replace(x, "dst", "$1", "src", "(.*) words")')).toEqual(['x']);
  });
});

describe('exposedNames', () => {
  it('offers each TYPE family, with the series of histograms', () => {
    const names = exposedNames('# HELP a help\n# TYPE a counter\n# TYPE h histogram\nh_bucket{le="1"} 0\n');
    expect([...names].sort()).toEqual(['a', 'h', 'h_bucket', 'h_count', 'h_sum']);
  });

  it('sums the samples whose labels match', () => {
    expect(sampleSum('x{a="1",b="2"} 3\nx{a="1",b="3"} 4\nx{a="2"} 5\nxy 9\n', 'x', { a: '1' })).toBe(7);
  });
});

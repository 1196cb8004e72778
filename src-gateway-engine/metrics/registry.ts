/**
 * A tiny Prometheus metrics registry: counters, gauges and fixed-bucket histograms with
 * labels, rendered in the text exposition format 0.0.4.
 *
 * Hot path: look a labelled child up ONCE (`metric.labels({ volume })`) and keep it;
 * `child.inc()`, `child.set()` and `child.observe()` then only touch numbers and never
 * allocate. Unlabelled metrics can be updated directly on the metric, also allocation-free.
 *
 * Callback ("collect") metrics: give `collect` when creating a metric; it runs at scrape
 * time, just before rendering, and sets values on the metric (e.g. read the cache's
 * current fill level). A collect hook that throws keeps the previous values and is
 * reported to the registry's `onCollectError`. `addCollector` adds a hook that runs once
 * per scrape before those (read one status snapshot, set many metrics).
 *
 * Output order is registration order for metrics and creation order for series, so the
 * text is deterministic.
 */
import { ErrorCode, TidegateError } from '../errors/index.js';

/** Label values keyed by label name. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

/** The metric kinds the registry renders. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Content-Type of `MetricsRegistry.render()` output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface MetricOptions<L extends string, M> {
  /** Full metric name, e.g. `tidegate_write_bytes_total`. */
  name: string;
  /** One line for HELP. */
  help: string;
  labelNames?: readonly L[];
  /** Called at scrape time before rendering; sets current values on the metric. */
  collect?: (metric: M) => void;
}

export interface HistogramOptions<L extends string> extends MetricOptions<L, Histogram<L>> {
  /** Upper bounds, strictly increasing and finite; `+Inf` is added implicitly. */
  buckets: readonly number[];
}

/** A counter series: only goes up (or is mirrored from a total kept elsewhere). */
export interface CounterChild {
  /** Add `n` (default 1); `n` must be >= 0. */
  inc(n?: number): void;
  /** Mirror a total kept elsewhere (typically inside a collect hook). */
  set(value: number): void;
  get(): number;
}

/** A gauge series: any value. */
export interface GaugeChild {
  set(value: number): void;
  inc(n?: number): void;
  dec(n?: number): void;
  get(): number;
}

/** A histogram series. */
export interface HistogramChild {
  observe(value: number): void;
  /** Cumulative counts per bucket (last is +Inf), sum and count. Allocates; not for the hot path. */
  get(): HistogramSnapshot;
}

export interface HistogramSnapshot {
  /** Upper bounds, ending with Infinity. */
  buckets: number[];
  /** Cumulative counts, one per bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** Escapes HELP text: backslash and newline. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

/** Formats a sample value: `+Inf`, `-Inf`, `NaN`, or the shortest round-tripping decimal. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** `count` bucket bounds: start, start*factor, start*factor², … */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || !Number.isSafeInteger(count) || count < 1) {
    throw invalid(`exponentialBuckets needs start > 0, factor > 1, count >= 1 (got ${start}, ${factor}, ${count})`);
  }
  const out: number[] = [];
  for (let i = 0, v = start; i < count; i++, v *= factor) out.push(v);
  return out;
}

/** `count` bucket bounds: start, start+width, start+2·width, … */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (!Number.isFinite(start) || !(width > 0) || !Number.isSafeInteger(count) || count < 1) {
    throw invalid(`linearBuckets needs a finite start, width > 0, count >= 1 (got ${start}, ${width}, ${count})`);
  }
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(start + i * width);
  return out;
}

function invalid(message: string): TidegateError {
  return new TidegateError(ErrorCode.InvalidArgument, message);
}

/** Shared by every metric kind: name, help, label handling and series bookkeeping. */
abstract class Metric<L extends string, C> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: MetricType;
  /** Series keyed by their rendered label pairs (`a="x",b="y"`), in creation order. */
  protected readonly series = new Map<string, C>();
  readonly #collect: ((metric: unknown) => void) | undefined;
  #unlabelled: C | undefined;

  constructor(opts: MetricOptions<L, never>, reservedLabels: readonly string[]) {
    if (typeof opts.name !== 'string' || !METRIC_NAME_RE.test(opts.name)) {
      throw invalid(`invalid metric name ${JSON.stringify(opts.name)}`);
    }
    if (typeof opts.help !== 'string') throw invalid(`metric ${opts.name}: help must be a string`);
    const labelNames = [...(opts.labelNames ?? [])];
    const seen = new Set<string>();
    for (const l of labelNames) {
      if (typeof l !== 'string' || !LABEL_NAME_RE.test(l) || l.startsWith('__')) {
        throw invalid(`metric ${opts.name}: invalid label name ${JSON.stringify(l)}`);
      }
      if (reservedLabels.includes(l)) throw invalid(`metric ${opts.name}: label name "${l}" is reserved`);
      if (seen.has(l)) throw invalid(`metric ${opts.name}: duplicate label name "${l}"`);
      seen.add(l);
    }
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = Object.freeze(labelNames);
    this.#collect = opts.collect as ((metric: unknown) => void) | undefined;
  }

  /** The series for these label values, created on first use. Look it up once; keep it. */
  labels(values: Labels<L>): C {
    const key = this.#labelKey(values);
    let child = this.series.get(key);
    if (child === undefined) {
      child = this.createChild(key);
      this.series.set(key, child);
    }
    return child;
  }

  /** Drop one series (e.g. when a volume is deleted). Returns whether it existed. */
  remove(values: Labels<L>): boolean {
    return this.series.delete(this.#labelKey(values));
  }

  /** Drop every series. */
  reset(): void {
    this.series.clear();
    this.#unlabelled = undefined;
  }

  /** The single series of an unlabelled metric. */
  protected get unlabelled(): C {
    if (this.#unlabelled !== undefined) return this.#unlabelled;
    if (this.labelNames.length > 0) {
      throw invalid(`metric ${this.name} has labels (${this.labelNames.join(', ')}): use .labels({...})`);
    }
    this.#unlabelled = this.labels({} as Labels<L>);
    return this.#unlabelled;
  }

  /** Runs the collect hook; returns the error it threw, if any. */
  runCollect(): unknown {
    if (this.#collect === undefined) return undefined;
    try {
      this.#collect(this);
      return undefined;
    } catch (err) {
      return err ?? new Error('collect hook threw');
    }
  }

  /** Appends this metric's HELP, TYPE and samples. */
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`);
    // An unlabelled counter/gauge always shows its one sample, even before the first update.
    if (this.labelNames.length === 0 && this.series.size === 0) void this.unlabelled;
    for (const [key, child] of this.series) this.renderSeries(out, key, child);
  }

  protected abstract createChild(labelKey: string): C;
  protected abstract renderSeries(out: string[], labelKey: string, child: C): void;

  #labelKey(values: Labels<L>): string {
    if (values === null || typeof values !== 'object') throw invalid(`metric ${this.name}: labels must be an object`);
    const given = Object.keys(values);
    if (given.length !== this.labelNames.length || !this.labelNames.every((l) => Object.hasOwn(values, l))) {
      throw invalid(
        `metric ${this.name}: expected labels {${this.labelNames.join(', ')}}, got {${given.join(', ')}}`,
      );
    }
    let key = '';
    for (let i = 0; i < this.labelNames.length; i++) {
      const l = this.labelNames[i]!;
      const v = values[l];
      if (typeof v !== 'string') throw invalid(`metric ${this.name}: label ${l} must be a string`);
      key += `${i === 0 ? '' : ','}${l}="${escapeLabelValue(v)}"`;
    }
    return key;
  }
}

class CounterSeries implements CounterChild {
  value = 0;
  readonly metricName: string;
  constructor(metricName: string) {
    this.metricName = metricName;
  }
  inc(n = 1): void {
    if (!(n >= 0) || n === Infinity) throw invalid(`counter ${this.metricName}: inc(${n}) must be a finite number >= 0`);
    this.value += n;
  }
  set(value: number): void {
    if (!(value >= 0) || value === Infinity) throw invalid(`counter ${this.metricName}: set(${value}) must be a finite number >= 0`);
    this.value = value;
  }
  get(): number {
    return this.value;
  }
}

/** A monotonically increasing count (name it `…_total`). */
export class Counter<L extends string = never> extends Metric<L, CounterChild> implements CounterChild {
  readonly type = 'counter' as const;

  constructor(opts: MetricOptions<L, Counter<L>>) {
    super(opts as MetricOptions<L, never>, []);
  }

  inc(n = 1): void {
    this.unlabelled.inc(n);
  }
  set(value: number): void {
    this.unlabelled.set(value);
  }
  get(): number {
    return this.unlabelled.get();
  }

  protected createChild(): CounterChild {
    return new CounterSeries(this.name);
  }

  protected renderSeries(out: string[], key: string, child: CounterChild): void {
    out.push(`${this.name}${key === '' ? '' : `{${key}}`} ${formatSampleValue(child.get())}\n`);
  }
}

class GaugeSeries implements GaugeChild {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
  get(): number {
    return this.value;
  }
}

/** A value that goes up and down; with `collect`, read at scrape time. */
export class Gauge<L extends string = never> extends Metric<L, GaugeChild> implements GaugeChild {
  readonly type = 'gauge' as const;

  constructor(opts: MetricOptions<L, Gauge<L>>) {
    super(opts as MetricOptions<L, never>, []);
  }

  set(value: number): void {
    this.unlabelled.set(value);
  }
  inc(n = 1): void {
    this.unlabelled.inc(n);
  }
  dec(n = 1): void {
    this.unlabelled.dec(n);
  }
  get(): number {
    return this.unlabelled.get();
  }

  protected createChild(): GaugeChild {
    return new GaugeSeries();
  }

  protected renderSeries(out: string[], key: string, child: GaugeChild): void {
    out.push(`${this.name}${key === '' ? '' : `{${key}}`} ${formatSampleValue(child.get())}\n`);
  }
}

class HistogramSeries implements HistogramChild {
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  readonly bounds: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: Float64Array) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    // `le` is inclusive: a value equal to a bound lands in that bucket. NaN lands in +Inf.
    while (i < bounds.length && !(value <= bounds[i]!)) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  get(): HistogramSnapshot {
    const counts: number[] = [];
    let acc = 0;
    for (const c of this.counts) counts.push((acc += c));
    return { buckets: [...this.bounds, Infinity], counts, sum: this.sum, count: this.count };
  }
}

/** Observations counted into fixed buckets, with `_bucket{le=…}`, `_sum` and `_count`. */
export class Histogram<L extends string = never> extends Metric<L, HistogramChild> implements HistogramChild {
  readonly type = 'histogram' as const;
  /** Upper bounds without the implicit +Inf. */
  readonly buckets: readonly number[];
  readonly #bounds: Float64Array;
  readonly #leLabels: readonly string[];

  constructor(opts: HistogramOptions<L>) {
    super(opts as MetricOptions<L, never>, ['le']);
    const b = [...(opts.buckets ?? [])];
    if (b.length === 0) throw invalid(`histogram ${opts.name}: needs at least one bucket`);
    for (let i = 0; i < b.length; i++) {
      if (typeof b[i] !== 'number' || !Number.isFinite(b[i])) {
        throw invalid(`histogram ${opts.name}: bucket ${String(b[i])} must be a finite number (+Inf is implicit)`);
      }
      if (i > 0 && !(b[i]! > b[i - 1]!)) throw invalid(`histogram ${opts.name}: buckets must be strictly increasing`);
    }
    this.buckets = Object.freeze(b);
    this.#bounds = Float64Array.from(b);
    this.#leLabels = Object.freeze([...b.map(formatSampleValue), '+Inf'].map((le) => `le="${le}"`));
  }

  observe(value: number): void {
    this.unlabelled.observe(value);
  }
  get(): HistogramSnapshot {
    return this.unlabelled.get();
  }

  protected createChild(): HistogramChild {
    return new HistogramSeries(this.#bounds);
  }

  protected renderSeries(out: string[], key: string, child: HistogramChild): void {
    const s = child as HistogramSeries;
    const prefix = key === '' ? '' : `${key},`;
    let acc = 0;
    for (let i = 0; i < s.counts.length; i++) {
      acc += s.counts[i]!;
      out.push(`${this.name}_bucket{${prefix}${this.#leLabels[i]!}} ${formatSampleValue(acc)}\n`);
    }
    const braces = key === '' ? '' : `{${key}}`;
    out.push(`${this.name}_sum${braces} ${formatSampleValue(s.sum)}\n`);
    out.push(`${this.name}_count${braces} ${formatSampleValue(s.count)}\n`);
  }
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

export interface MetricsRegistryOptions {
  /** Told when a collect hook throws (the metric keeps its previous values). */
  onCollectError?: (metricName: string, err: unknown) => void;
}

/** Holds metrics by name and renders them all. */
export class MetricsRegistry {
  readonly #metrics = new Map<string, AnyMetric>();
  readonly #collectors: (() => void)[] = [];
  readonly #onCollectError: ((metricName: string, err: unknown) => void) | undefined;

  constructor(options: MetricsRegistryOptions = {}) {
    this.#onCollectError = options.onCollectError;
  }

  /** Registers a counter; ALREADY_EXISTS when the name is taken. */
  counter<L extends string = never>(opts: MetricOptions<L, Counter<L>>): Counter<L> {
    return this.#add(new Counter<L>(opts));
  }

  /** Registers a gauge (give `collect` for a callback gauge read at scrape time). */
  gauge<L extends string = never>(opts: MetricOptions<L, Gauge<L>>): Gauge<L> {
    return this.#add(new Gauge<L>(opts));
  }

  /** Registers a histogram with fixed buckets. */
  histogram<L extends string = never>(opts: HistogramOptions<L>): Histogram<L> {
    return this.#add(new Histogram<L>(opts));
  }

  /** The metric registered under `name`, if any. */
  get(name: string): Counter<string> | Gauge<string> | Histogram<string> | undefined {
    return this.#metrics.get(name);
  }

  /** Removes a metric; returns whether it existed. */
  unregister(name: string): boolean {
    return this.#metrics.delete(name);
  }

  /**
   * Adds a scrape-time hook that runs once per render, before the per-metric collect
   * hooks: for reading one status snapshot and setting many metrics from it. A collector
   * that throws is reported as metric name "" and leaves previous values in place.
   */
  addCollector(collect: () => void): void {
    this.#collectors.push(collect);
  }

  /** Runs every collector and collect hook, then renders the text exposition format 0.0.4. */
  render(): string {
    for (const c of this.#collectors) {
      try {
        c();
      } catch (err) {
        this.#reportCollectError('', err);
      }
    }
    const out: string[] = [];
    for (const m of this.#metrics.values()) {
      const err = m.runCollect();
      if (err !== undefined) this.#reportCollectError(m.name, err);
      m.render(out);
    }
    return out.join('');
  }

  #reportCollectError(name: string, err: unknown): void {
    try {
      this.#onCollectError?.(name, err);
    } catch {
      // a failing error reporter must not break the scrape
    }
  }

  #add<M extends AnyMetric>(metric: M): M {
    if (this.#metrics.has(metric.name)) {
      throw new TidegateError(ErrorCode.AlreadyExists, `metric ${metric.name} is already registered`);
    }
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

// The Prometheus text-format parser the metrics tests read /metrics with (it ships no types).
declare module 'parse-prometheus-text-format' {
  interface Family {
    name: string;
    help: string;
    type: string;
    metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }>;
  }
  export default function parsePrometheusTextFormat(text: string): Family[];
}

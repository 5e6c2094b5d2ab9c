// The Vercel AI SDK app of tokentrail's compatibility suite (tests/compat/test_vercel_ai.py).
//
// Seven SDK calls, each its own trace, against stand-in OpenAI and Anthropic APIs on loopback; the AI SDK's
// telemetry exports every span over OTLP/HTTP (protobuf) to the live tokentrail server. Every call belongs
// to one session and one user, stated the SDK's own way: v7 dropped `telemetry.metadata`, so the app passes
// them as runtime context and lets telemetry record it (`ai.settings.context.<key>`).
//
// Environment (from the test): OTEL_EXPORTER_OTLP_ENDPOINT (the server), STAND_IN_URL (the OpenAI
// stand-in), ANTHROPIC_URL (the Anthropic stand-in), VERCEL_TELEMETRY (`legacy`: `LegacyOpenTelemetry`,
// the `ai.*` names that `experimental_telemetry` wrote before v7; `genai`: `OpenTelemetry`, GenAI names),
// SESSION_ID, USER_ID; COMPAT_DUMP_SPANS=1 also prints every span to stderr.
// The last line of standard output is a JSON object: each call's function id -> its trace id and result.

import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { generateText, isStepCount, registerTelemetry, streamText, tool } from 'ai';
import { inspect } from 'node:util';
import { z } from 'zod';

const env = process.env;

/** Records the trace id of each SDK call's root span, by the call's function id, and counts the spans
 * of each trace. */
class RootSpans {
  constructor() {
    this.traces = {};
    this.spans = {};
  }
  onStart() {}
  onEnd(span) {
    const traceId = span.spanContext().traceId;
    this.spans[traceId] = (this.spans[traceId] ?? 0) + 1;
    const functionId =
      span.attributes['ai.telemetry.functionId'] ?? span.attributes['gen_ai.agent.name'];
    if (!span.parentSpanContext && functionId) {
      this.traces[functionId] = traceId;
    }
  }
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    return Promise.resolve();
  }
}

/** Prints every span to stderr (COMPAT_DUMP_SPANS=1), to read what the SDK emits. */
class StderrExporter {
  export(spans, done) {
    for (const span of spans) {
      const { traceId, spanId } = span.spanContext();
      const parent = span.parentSpanContext?.spanId;
      const scope = span.instrumentationScope.name;
      const fields = { name: span.name, scope, traceId, spanId, parent, attributes: span.attributes };
      process.stderr.write(`${inspect(fields, { depth: 6, breakLength: 120 })}\n`);
    }
    done({ code: 0 });
  }
  shutdown() {
    return Promise.resolve();
  }
}

const roots = new RootSpans();
const spanProcessors = [
  roots,
  new BatchSpanProcessor(
    new OTLPTraceExporter({ url: `${env.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` }),
  ),
];
if (env.COMPAT_DUMP_SPANS) {
  spanProcessors.push(new SimpleSpanProcessor(new StderrExporter()));
}
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'vercel-ai-app' }),
  spanProcessors,
});
provider.register();

// v7 records spans only through a registered integration. The GenAI one writes, beyond the GenAI names,
// the runtime context (`runtimeContext`: the session and the user), the usage details GenAI has no name
// for (`usage`: reasoning tokens) and the provider's metadata (`providerMetadata`: Anthropic's usage
// object, with its 5-minute and 1-hour cache-write split) only when asked to.
registerTelemetry(
  env.VERCEL_TELEMETRY === 'genai'
    ? new OpenTelemetry({ runtimeContext: true, usage: true, providerMetadata: true })
    : new LegacyOpenTelemetry(),
);

const openai = createOpenAI({ baseURL: `${env.STAND_IN_URL}/v1`, apiKey: 'test' });
const anthropic = createAnthropic({ baseURL: `${env.ANTHROPIC_URL}/v1`, apiKey: 'test' });

// The session and the user of every call, recorded by telemetry from the runtime context.
const runtimeContext = { sessionId: env.SESSION_ID, userId: env.USER_ID };
const telemetry = (functionId) => ({
  isEnabled: true,
  functionId,
  includeRuntimeContext: { sessionId: true, userId: true },
});
const common = (functionId) => ({ maxRetries: 0, runtimeContext, telemetry: telemetry(functionId) });

const SYSTEM = {
  role: 'system',
  content: 'You answer questions about weather. '.repeat(4),
  providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } },
};

const results = {};

// OpenAI Chat Completions, with most of the prompt read from OpenAI's prompt cache.
results['openai-cached'] = await generateText({
  model: openai.chat('gpt-4o-mini'),
  instructions: 'Be brief.',
  prompt: 'Why is a cached prompt cheaper?',
  ...common('openai-cached'),
});

// A reasoning model through the Responses API (the provider's default).
results['openai-reasoning'] = await generateText({
  model: openai('o4-mini'),
  prompt: 'How many primes are below 100?',
  ...common('openai-reasoning'),
});

// Streamed through the Responses API.
const streamed = streamText({
  model: openai('gpt-4o-mini'),
  prompt: 'Stream a short answer.',
  ...common('openai-stream'),
});
let streamedText = '';
for await (const part of streamed.textStream) {
  streamedText += part;
}
results['openai-stream'] = { text: streamedText, usage: await streamed.usage };

// Anthropic Messages: the same cached system prompt written to the cache, then read from it; then another
// written to the cache for an hour.
const SYSTEM_1H = {
  role: 'system',
  content: 'You answer questions about the tides. '.repeat(4),
  providerOptions: { anthropic: { cacheControl: { type: 'ephemeral', ttl: '1h' } } },
};
for (const [functionId, instructions] of [
  ['anthropic-cache-write', SYSTEM],
  ['anthropic-cache-read', SYSTEM],
  ['anthropic-cache-write-1h', SYSTEM_1H],
]) {
  results[functionId] = await generateText({
    model: anthropic('claude-haiku-4-5'),
    instructions,
    prompt: 'Is it sunny in Lisbon?',
    ...common(functionId),
  });
}

// A tool round trip: two provider calls and the tool between them, in one SDK call.
results['openai-tool'] = await generateText({
  model: openai.chat('gpt-4o-mini'),
  tools: {
    get_weather: tool({
      description: 'The current weather in a city.',
      inputSchema: z.object({ city: z.string() }),
      execute: async () => 'sunny',
    }),
  },
  stopWhen: isStepCount(2),
  prompt: 'Is it sunny in Paris?',
  ...common('openai-tool'),
});

await provider.forceFlush();
await provider.shutdown();

const facts = {};
for (const [functionId, result] of Object.entries(results)) {
  const traceId = roots.traces[functionId];
  facts[functionId] = {
    trace_id: traceId,
    spans: roots.spans[traceId],
    text: result.text,
    usage: result.usage,
  };
}
process.stdout.write(`\n${JSON.stringify(facts)}\n`);

/**
 * Next builds and renders the UI only; the API runs in server/main.ts. Server-only packages are kept out of
 * any bundle (the UI imports nothing but types from the server, and nodes/ reaches heavy runtimes via ctx).
 * @type {import('next').NextConfig}
 */
process.env.NEXT_TELEMETRY_DISABLED = "1";

const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  devIndicators: false,
  // `npm test` type-checks the whole repo (tsc --noEmit); checking again here doubles a slow step.
  typescript: { ignoreBuildErrors: true },
  serverExternalPackages: [
    "@duckdb/node-api",
    "@tensorflow/tfjs",
    "@tensorflow/tfjs-backend-wasm",
    "@tensorflow/tfjs-node",
    "@tensorflow/tfjs-node-gpu",
    "@prisma/client",
    "@prisma/adapter-pg",
    "@electric-sql/pglite",
    "pglite-prisma-adapter",
    "pg",
    "webgpu",
  ],
  turbopack: {
    root: import.meta.dirname,
  },
};

export default nextConfig;

/**
 * Driver adapter the Prisma CLI uses for the embedded database (see prisma.config.ts).
 *
 * Why not plain `pglite-prisma-adapter`: Prisma's WASM schema engine applies migration scripts through
 * `executeRaw` with no arguments, relying on node-postgres sending argument-less queries over the simple query
 * protocol, which accepts many statements at once. PGlite's `query()` always uses the extended protocol
 * ("cannot insert multiple commands into a prepared statement"), so `migrate diff --from-migrations` and
 * `migrate deploy` fail. Here argument-less `executeRaw` and `executeScript` go through `PGlite.exec` (simple
 * protocol) instead, and the shadow database the adapter creates is closed when Prisma disposes it.
 */
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { PrismaConfig } from "prisma/config";

type Factory = InstanceType<typeof PrismaPGlite>;
type Adapter = Awaited<ReturnType<Factory["connect"]>>;
/** What prisma.config.ts's adapter() returns. pglite-prisma-adapter 0.6 is typed against
 * @prisma/driver-adapter-utils 6.10 whose argTypes shape differs from 6.19's; it never reads argTypes. */
type ConfigAdapterFactory = Awaited<ReturnType<Extract<PrismaConfig, { engine: "js" }>["adapter"]>>;

/** PGlite in `dataDir`, or in memory when it is undefined; closed when the CLI disposes the adapter. */
export function pgliteCliAdapter(dataDir?: string) {
  const factory: Pick<Factory, "provider" | "adapterName" | "connect" | "connectToShadowDb"> = {
    provider: "postgres",
    adapterName: "pglite-prisma-adapter",
    async connect() {
      return simpleProtocolScripts(dataDir ? new PGlite(dataDir) : new PGlite());
    },
    async connectToShadowDb() {
      return simpleProtocolScripts(new PGlite());
    },
  };
  return factory as unknown as ConfigAdapterFactory;
}

async function simpleProtocolScripts(client: PGlite): Promise<Adapter> {
  const adapter = await new PrismaPGlite(client).connect();
  const executeRaw = adapter.executeRaw.bind(adapter);
  const rethrow = (e: unknown): never => {
    // Reuse the adapter's own mapping to DriverAdapterError so Prisma prints the Postgres error code.
    (adapter as unknown as { onError(e: unknown): never }).onError(e);
    throw e;
  };
  adapter.executeRaw = async (query) => {
    if (query.args.length > 0) return executeRaw(query);
    const results = await client.exec(query.sql).catch(rethrow);
    return results.reduce((n, r) => n + (r.affectedRows ?? 0), 0);
  };
  adapter.executeScript = async (script) => {
    await client.exec(script).catch(rethrow);
  };
  adapter.dispose = async () => {
    await client.close();
  };
  return adapter;
}

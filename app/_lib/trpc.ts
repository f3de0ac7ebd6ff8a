/**
 * Browser tRPC client. Queries and mutations go over batched HTTP; subscriptions over SSE (EventSource),
 * which resumes from the last event id by itself after a dropped connection.
 */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "../../server/trpc/root";
import type { Issue } from "../../nodes/core/errors";

export const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === "subscription",
      true: httpSubscriptionLink({ url: "/api/trpc", transformer: superjson }),
      false: httpBatchLink({ url: "/api/trpc", transformer: superjson }),
    }),
  ],
});

/** Message and issues of a failed call, for toasts and node badges. */
export function describeCallError(e: unknown): { message: string; issues?: Issue[]; problems?: string[] } {
  if (e instanceof TRPCClientError) {
    const data = e.data as { issues?: Issue[]; problems?: string[] } | undefined;
    return { message: e.message, issues: data?.issues, problems: data?.problems };
  }
  if (e instanceof Error) return { message: e.message };
  return { message: String(e) };
}

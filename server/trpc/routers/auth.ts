/** Who is signed in, and the Users page (admins change roles; every change is in the audit log). */
import { z } from "zod";
import { ROLES } from "../../auth/roles";
import { adminProcedure, guard, notFound, publicProcedure, router } from "../trpc";

export const authRouter = router({
  /** The signed-in person, or null: the app decides from this whether to show the sign-in page. */
  me: publicProcedure.query(({ ctx }) => ctx.user),
  /** False on a fresh install: the sign-in page then points to creating the first account, which becomes admin. */
  hasUsers: publicProcedure.query(({ ctx }) => guard(() => ctx.services.auth.hasUsers())),
});

export const usersRouter = router({
  list: adminProcedure.query(({ ctx }) => guard(() => ctx.services.auth.listUsers())),

  setRole: adminProcedure.input(z.object({ userId: z.string().min(1).max(200), role: z.enum(ROLES) })).mutation(({ ctx, input }) =>
    guard(async () => {
      const before = (await ctx.services.auth.listUsers()).find((u) => u.id === input.userId);
      if (!before) throw notFound("This user");
      const after = await ctx.services.auth.setRole(input.userId, input.role);
      if (before.role !== after.role) {
        await ctx.services.endpoints.record(ctx.user, "user.role", `user:${after.id}`, { email: after.email, from: before.role, to: after.role });
      }
      return after;
    }),
  ),
});

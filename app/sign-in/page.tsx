import { AuthForm } from "../_auth/auth-form";

export default function SignInPage() {
  return <AuthForm mode="sign-in" />;
}

import { AuthForm } from "../_auth/auth-form";

export default function SignUpPage() {
  return <AuthForm mode="sign-up" />;
}

import { WorkflowList } from "./_home/workflow-list";

export default function Home() {
  return <WorkflowList />;
}

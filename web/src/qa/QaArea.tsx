/** Questions, polls and reactions on a meeting page: the host's panels, or the teacher's. */
import type { MeetingClient } from '../client/MeetingClient';
import { useStore } from '../state/store';
import { useQa } from './qaApi';
import { PinnedBanner, QaHostPanel, QaViewerPanel } from './QaPanels';
import { PollHostPanel, PollViewerPanel } from './PollPanels';
import { ReactionButtons } from './Reactions';
import './qa.css';

export function QaArea({ client }: { client: MeetingClient }) {
  const api = useQa(client);
  const role = useStore((s) => s.self?.role);
  const queued = useStore((s) => s.joinQueue !== null);
  if (!role || queued) return null;
  if (role === 'teacher') {
    return (
      <div className="qa-area">
        <PinnedBanner />
        <ReactionButtons api={api} />
        <PollViewerPanel api={api} />
        <QaViewerPanel api={api} />
      </div>
    );
  }
  return (
    <div className="qa-area host">
      <PinnedBanner />
      {/* The reactions strip is on the console's live column (HostPage). */}
      <QaHostPanel api={api} />
      {role === 'host' && <PollHostPanel api={api} />}
    </div>
  );
}

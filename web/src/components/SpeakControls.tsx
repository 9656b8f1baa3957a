import { useState } from 'react';
import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import type { MeetingClient } from '../client/MeetingClient';
import { RequestError } from '../client/MeetingClient';

/** A teacher's hand button, the invitation prompt, and the speaking indicator. */
export function SpeakControls({ client }: { client: MeetingClient }) {
  const t = useT();
  const speakState = useStore((s) => s.speakState);
  const publishing = useStore((s) => s.publishing);
  const [notice, setNotice] = useState<string | null>(null);

  const act = (p: Promise<unknown>): void => {
    setNotice(null);
    p.catch((e: unknown) => setNotice(e instanceof RequestError ? e.message : String(e)));
  };

  if (speakState.grant) {
    return (
      <div className="speak-bar speaking" data-speaking="true">
        <span className="dot" /> {speakState.grant.muted ? t('youAreMuted') : t('youAreSpeaking')}
        {speakState.grant.allowVideo && (
          <button data-control="camera" onClick={() => act(publishing.camera ? client.stop('camera') : client.start('camera'))}>
            {t(publishing.camera ? 'stop' : 'start')} {t('camera').toLowerCase()}
          </button>
        )}
        <button data-action="stop-speaking" onClick={() => act(client.stopSpeaking())}>
          {t('stopSpeaking')}
        </button>
        {notice && <span className="error">{notice}</span>}
      </div>
    );
  }
  return (
    <div className="speak-bar">
      <button
        data-action="hand"
        data-raised={speakState.handRaised}
        className={speakState.handRaised ? 'on' : ''}
        onClick={() => act(speakState.handRaised ? client.lowerHand() : client.raiseHand())}
      >
        ✋ {t(speakState.handRaised ? 'lowerHand' : 'raiseHand')}
      </button>
      {speakState.handRaised && <span className="hint">{t('handRaised')}</span>}
      {notice && <span className="error">{notice}</span>}
      {speakState.invitation && (
        <div className="invitation" role="dialog" data-invitation="open">
          <strong>{t('invitedTitle')}</strong>
          <p>{t(speakState.invitation.allowVideo ? 'invitedVideo' : 'invitedAudio')}</p>
          <button data-action="accept" className="on" onClick={() => act(client.respondInvitation(true))}>
            {t('accept')}
          </button>
          <button data-action="decline" onClick={() => act(client.respondInvitation(false))}>
            {t('decline')}
          </button>
        </div>
      )}
    </div>
  );
}

/** Meeting-level: who speaks now. */
export function ActiveSpeakers() {
  const t = useT();
  const speakers = useStore((s) => s.activeSpeakers);
  if (speakers.length === 0) return null;
  return (
    <p className="active-speakers" data-active-speakers={speakers.map((s) => s.userId).join(',')}>
      🎙 {t('nowSpeaking')}: {speakers.map((s) => s.name).join(', ')}
    </p>
  );
}

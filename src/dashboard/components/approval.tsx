/**
 * Approve / reject of a waiting approval step: the question, who may decide, the deadline, an
 * optional name and comment, the two decisions (`POST /api/executions/:id/approve|reject`).
 */
import { useState } from 'preact/hooks';
import { postJson, seg } from '../lib/api.ts';
import { ago } from '../lib/format.ts';
import { Action } from './common.tsx';

export interface WaitingApproval {
  executionId: string;
  stepId: string;
  message: string;
  approvers?: string[] | undefined;
  deadline?: string | undefined;
}

export function ApprovalBox(props: { approval: WaitingApproval; onDecided?: () => void }) {
  const a = props.approval;
  const [by, setBy] = useState('');
  const [comment, setComment] = useState('');
  const decide = (verb: 'approve' | 'reject') => async () => {
    await postJson(`/api/executions/${seg(a.executionId)}/${verb}`, {
      stepId: a.stepId,
      ...(by.trim() !== '' && { by: by.trim() }),
      ...(comment.trim() !== '' && { comment: comment.trim() }),
    });
    props.onDecided?.();
  };
  return (
    <div class="approval" data-approval={a.stepId}>
      <p>
        <strong>{a.stepId}</strong> asks: <span class="approval-message">{a.message}</span>
      </p>
      <p class="muted">
        {a.approvers ? `approvers: ${a.approvers.join(', ')}` : 'anyone may decide'}
        {a.deadline && ` · rejected ${ago(a.deadline)} without a decision`}
      </p>
      <div class="actions">
        <input
          type="text"
          placeholder="your name"
          value={by}
          onInput={(e) => setBy(e.currentTarget.value)}
          aria-label="decided by"
        />
        <input
          type="text"
          placeholder="comment"
          value={comment}
          onInput={(e) => setComment(e.currentTarget.value)}
          aria-label="comment"
        />
        <Action
          label="Approve"
          kind="primary"
          testId={`approve-${a.stepId}`}
          run={decide('approve')}
        />
        <Action label="Reject" kind="danger" testId={`reject-${a.stepId}`} run={decide('reject')} />
      </div>
    </div>
  );
}

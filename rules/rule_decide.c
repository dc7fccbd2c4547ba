/*
 * rule_decide.c - from a verdict's total score to a proposed action.
 *
 * Thresholds come from moderd.conf; a disabled action has a negative
 * minimum.  The proposal is the most severe of the action the score
 * reaches and any action a hit rule named itself.  No I/O, no state.
 */
#include "rules.h"

void
rule_thresholds_default(struct rule_thresholds *t)
{
	int a;

	for (a = 0; a < RULE_A_COUNT; a++)
		t->min[a] = -1;
	t->min[RULE_A_FLAG] = 3;
	t->min[RULE_A_SILENCE] = 10;
}

enum rule_action
rule_decide(const struct rule_thresholds *t, const struct rule_verdict *v)
{
	enum rule_action best = v->action;
	int              a;

	for (a = RULE_A_FLAG; a < RULE_A_COUNT; a++)
		if (t->min[a] >= 0 && v->score >= t->min[a]
		    && (enum rule_action) a > best)
			best = (enum rule_action) a;
	return best;
}

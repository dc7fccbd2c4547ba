/*
 * rule_names.c - the vocabulary of the rule language: names of targets,
 * numeric fields, actions, event kinds and visibilities, and back.
 *
 * These tables are the single source of the words moderd.rules(5)
 * documents; the parser, the verdict printer and the tests all use them.
 */
#include <string.h>

#include "rules.h"

static const char *const rule_target_names[RULE_T_COUNT] = {
	"text",
	"spoiler",
	"display_name",
	"username",
	"acct",
	"domain",
	"bio",
	"url",
	"host",
	"mention",
	"hashtag",
	"media_description",
	"report_comment",
	"report_category",
};

static const char *const rule_num_names[RULE_N_COUNT] = {
	"account_age",
	"followers",
	"following",
	"statuses",
	"links",
	"mentions",
	"hashtags",
	"media",
	"length",
};

static const char *const rule_action_names[RULE_A_COUNT] = {
	"none",
	"flag",
	"sensitive",
	"delete",
	"silence",
	"suspend",
};

static const char *const rule_kind_names[] = {
	"status.created",
	"status.updated",
	"report.created",
	"report.updated",
	"account.created",
	"account.approved",
	"account.updated",
};

static const char *const rule_visibility_names[] = {
	"unknown",
	"public",
	"unlisted",
	"private",
	"direct",
};

static int
rule_names_find(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int) i;
	return -1;
}

const char *
rule_target_name(enum rule_target t)
{
	return (unsigned) t < RULE_T_COUNT ? rule_target_names[t] : "none";
}

int
rule_target_from_name(const char *s)
{
	return rule_names_find(rule_target_names, RULE_T_COUNT, s);
}

const char *
rule_num_name(enum rule_num n)
{
	return (unsigned) n < RULE_N_COUNT ? rule_num_names[n] : "?";
}

int
rule_num_from_name(const char *s)
{
	return rule_names_find(rule_num_names, RULE_N_COUNT, s);
}

const char *
rule_action_name(enum rule_action a)
{
	return (unsigned) a < RULE_A_COUNT ? rule_action_names[a] : "?";
}

int
rule_action_from_name(const char *s)
{
	return rule_names_find(rule_action_names, RULE_A_COUNT, s);
}

const char *
rule_kind_name(unsigned kind_bit)
{
	size_t i;

	for (i = 0; i < nitems(rule_kind_names); i++)
		if (kind_bit == 1u << i)
			return rule_kind_names[i];
	return "?";
}

int
rule_kind_from_name(const char *s)
{
	int i;

	if (strcmp(s, "status") == 0)
		return RULE_K_STATUS_CREATED | RULE_K_STATUS_UPDATED;
	if (strcmp(s, "report") == 0)
		return RULE_K_REPORT_CREATED | RULE_K_REPORT_UPDATED;
	if (strcmp(s, "account") == 0)
		return RULE_K_ACCOUNT_CREATED | RULE_K_ACCOUNT_APPROVED
		    | RULE_K_ACCOUNT_UPDATED;
	i = rule_names_find(rule_kind_names, nitems(rule_kind_names), s);
	return i < 0 ? -1 : 1 << i;
}

const char *
rule_visibility_name(enum rule_visibility v)
{
	return (size_t) v < nitems(rule_visibility_names)
	    ? rule_visibility_names[v]
	    : "?";
}

int
rule_visibility_from_name(const char *s)
{
	int v = rule_names_find(
	    rule_visibility_names, nitems(rule_visibility_names), s);

	return v <= 0 ? -1 : v;
}

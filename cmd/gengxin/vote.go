package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/consult"
	"github.com/gengxin/gengxin/internal/db"
)

// errVoteMismatch marks a stored vote that does not survive verification.
var errVoteMismatch = errors.New("vote does not verify")

func cmdVote(ctx context.Context, e *env, args []string) error {
	about := `
Owner votes under Civil Code art. 278. Subcommands:
  tally   --roll roll.csv --ballots ballots.csv --matter N [--rules national]
          counts a vote offline and prints the result as one JSON object
  verify  --db DSN VOTE_ID
          recomputes a stored vote from its roll and ballots, checks the ballot
          chain and compares with the stored result (exit 1 on any discrepancy)

roll.csv has the header household_id,owner_id,area_dm2,developer_unsold with one
row per household–owner link (joint owners: several rows with the same
household_id; developer_unsold is true or false; an optional column voter marks
the designated voter). ballots.csv has the header owner_id,choice with choice
agree, disagree or abstain; the last ballot of an owner's head counts.
Matters:` + matterList() + `
Rule sets: ` + rulesList()
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlags(e, "vote", "vote tally|verify [flags]", about)
		if err := parse(fs, args); err != nil {
			return err
		}
		return usageErr("name a subcommand: tally or verify")
	}
	switch args[0] {
	case "tally":
		return voteTally(e, about, args[1:])
	case "verify":
		return voteVerify(ctx, e, about, args[1:])
	}
	return usageErr("unknown subcommand %q; use tally or verify", args[0])
}

func matterList() string {
	var b strings.Builder
	for _, m := range consult.Matters() {
		fmt.Fprintf(&b, "\n  %d %-19s %s", int(m), m.Code(), m.TitleEN())
	}
	return b.String()
}

func rulesList() string {
	var names []string
	for _, r := range consult.RuleSets() {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ") + " (default national)"
}

// tallyOutput is the JSON printed by vote tally.
type tallyOutput struct {
	consult.Tally
	MatterTitle string `json:"matter_title"`
	RulesTitle  string `json:"rules_title"`
	RulesBasis  string `json:"rules_basis"`
	Ballots     int    `json:"ballots"`
}

func voteTally(e *env, about string, args []string) error {
	fs := newFlags(e, "vote tally", "vote tally --roll roll.csv --ballots ballots.csv --matter N [--rules national]", about)
	rollPath := fs.String("roll", "", "roll file (CSV)")
	ballotPath := fs.String("ballots", "", "ballot file (CSV)")
	matterFlag := fs.String("matter", "", "matter: 1 to 9 or its code")
	rulesFlag := fs.String("rules", consult.RulesNational, "rule set")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *rollPath == "" || *ballotPath == "" || *matterFlag == "" {
		return usageErr("--roll, --ballots and --matter are required")
	}
	matter, err := consult.ParseMatter(*matterFlag)
	if err != nil {
		return usageErr("%v", err)
	}
	rules, err := consult.LookupRules(*rulesFlag)
	if err != nil {
		return usageErr("%v", err)
	}
	rf, err := os.Open(*rollPath)
	if err != nil {
		return err
	}
	defer rf.Close()
	roll, err := consult.ReadRollCSV(rf, *rollPath)
	if err != nil {
		return err
	}
	bf, err := os.Open(*ballotPath)
	if err != nil {
		return err
	}
	defer bf.Close()
	ballots, err := consult.ReadBallotsCSV(bf, *ballotPath, roll, rules)
	if err != nil {
		return err
	}
	t, err := consult.Count(roll, rules, matter, ballots)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(tallyOutput{Tally: t, MatterTitle: matter.Title(), RulesTitle: rules.Title, RulesBasis: rules.Basis, Ballots: len(ballots)})
}

func voteVerify(ctx context.Context, e *env, about string, args []string) error {
	fs := newFlags(e, "vote verify", "vote verify --db DSN VOTE_ID", about)
	dsn := dbFlag(fs, e, "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dsn == "" {
		return usageErr("--db is required (or set GENGXIN_DB)")
	}
	if fs.NArg() != 1 {
		return usageErr("name exactly one vote id")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return usageErr("vote id %q is not a positive number", fs.Arg(0))
	}
	d, err := db.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx, nil); err != nil {
		return err
	}
	svc := consult.NewService(d, audit.New(d, time.Now), time.Now)
	ver, err := svc.Verify(ctx, id)
	if err != nil {
		return err
	}
	if !ver.OK {
		fmt.Fprintf(e.stdout, "MISMATCH in vote %d (%s): %s\n", id, ver.Status, ver.Problems[0])
		for _, p := range ver.Problems[1:] {
			fmt.Fprintf(e.stdout, "  also: %s\n", p)
		}
		return fmt.Errorf("vote %d: %s: %w", id, ver.Problems[0], errVoteMismatch)
	}
	switch {
	case ver.Status == consult.StatusClosed && ver.Recount != nil:
		fmt.Fprintf(e.stdout, "OK: vote %d (closed, %s): %d ballots, %d heads, chain intact, recount equals the stored result (voted %d/%d heads, %d/%d dm²; agree %d heads, %d dm²)\n",
			id, ver.Recount.Result, ver.Ballots, ver.Heads, ver.Recount.VotedHeads, ver.Recount.TotalHeads, ver.Recount.VotedAreaDM2, ver.Recount.TotalAreaDM2,
			ver.Recount.AgreeHeads, ver.Recount.AgreeAreaDM2)
	case ver.Recount != nil:
		fmt.Fprintf(e.stdout, "OK: vote %d (%s): %d ballots, %d heads, chain intact; live count %s\n", id, ver.Status, ver.Ballots, ver.Heads, ver.Recount.Result)
	default:
		fmt.Fprintf(e.stdout, "OK: vote %d (%s): no roll or ballots yet\n", id, ver.Status)
	}
	return nil
}

// Package consult holds resident consultation: surveys and their responses, and
// owner votes under Civil Code art. 278 with their rolls, ballots and tallies.
//
// # Owner votes
//
// A vote decides one of the nine matters of art. 278 (see Matter) within a scope
// (a compound, a building or an entrance). When the vote opens, the households of
// the scope and their owners are copied into the vote's roll; the roll never
// changes afterwards, so later edits of the places data do not move a running
// tally.
//
// # Who counts, and how much
//
// The counting follows 法释〔2009〕7号 art. 8 (area) and art. 9 (heads):
//
//   - The area of a household is its exclusive area: registered, else surveyed,
//     else contract area, in whole dm² (art. 8). A household with no known area
//     is on the roll with 0 dm²: it counts as a head but adds no area.
//   - One exclusive part (household) counts as one head (art. 9, first sentence).
//   - A person owning more than one household counts once (art. 9, "同一买受人
//     拥有一个以上专有部分的，按一人计算"), and their area is the sum.
//   - All households the developer has not sold, or sold but not delivered, count
//     together as one head whose area is their sum (art. 9, "建设单位尚未出卖和虽已
//     出卖但尚未交付的部分…按一人计算").
//   - A jointly owned household is one exclusive part and therefore one head; it
//     casts one ballot. The ballot records which co-owner cast it.
//
// Overlaps are resolved by one rule that contains all of the above: households
// that share an owner belong to the same head, transitively, and all
// developer-held households belong to one head. Formally the heads are the
// connected components of the graph whose nodes are households and owners, with
// an edge for every ownership link, after joining all developer-held households
// into one node. So a person who owns flat A alone and flat B jointly with their
// spouse makes one head of area A+B, for which either of the two may vote; two
// spouses owning A and B jointly are one head; and if the developer (or a buyer
// wrongly listed on an undelivered flat) also owns a delivered flat, that flat
// joins the developer's head. Every owner thus belongs to exactly one head and can
// never count twice.
//
// Each head casts one ballot: the latest ballot cast by any of its owners counts
// (the rule set may restrict this to the owners marked as designated voters of
// their household, JointVoterDesignated). Earlier ballots stay in the history.
//
// # Quorum and approval
//
// Quorum: the heads that cast a ballot (agree, disagree or abstain) must hold at
// least 2/3 of the roll's area and be at least 2/3 of its heads. Approval: the
// heads that agree must hold more than 1/2 (or at least 3/4, by matter) of the
// participating area and be more than 1/2 (or at least 3/4) of the participating
// heads. "以上" includes the bound (Civil Code art. 1259), "过半数" does not.
// Abstentions count as participation and never as agreement; owners who do not
// vote only fail to help reach the quorum. Every comparison is done on integers
// (for example 3*voted >= 2*total and 2*agree > voted), never on floating point.
// The result is passed, failed or no_quorum, with every fraction reported as a
// numerator and a denominator.
//
// Rule sets are data (RuleSet) and the one used is stored with each vote:
// "national" (the default above), "fund_two_thirds_all" (the older local rule that
// maintenance-fund matters need 2/3 of the area and of the heads of all owners)
// and "elevator" (entrance or building votes on elevator retrofits: 2/3 of area
// and heads take part, at least 3/4 of the participating area and heads agree).
//
// # Integrity
//
// Ballots are append-only and hash-chained per vote: each ballot's hash covers the
// previous hash and every field, and the vote row keeps the sequence number and
// hash of the newest ballot. Appending locks the vote row first (an UPDATE on
// the vote), so ballots of one vote are strictly ordered on SQLite and
// PostgreSQL alike. Service.Verify recomputes the tally from the roll and the
// ballots, checks the chain and compares with the stored result.
package consult

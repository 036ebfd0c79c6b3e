package projects

// gateMessages are the texts of the gate checks and refusals.
func gateMessages() map[string][2]string {
	return map[string][2]string{
		"projects.gate.refused":                       {"不能进入下一阶段，还缺：%s", "The project cannot move on yet. Missing: %s"},
		"projects.gate.scope.met":                     {"项目范围已确定", "The scope is set"},
		"projects.gate.scope.missing":                 {"项目范围内没有小区或楼栋", "The scope holds no compound or building"},
		"projects.gate.items.met":                     {"已列出%d项改造内容", "%d work items are planned"},
		"projects.gate.items.missing":                 {"还没有改造内容（至少一项）", "No work item is planned yet (at least one is needed)"},
		"projects.gate.survey.no_households":          {"项目范围内没有住户，无法征询意愿", "The scope holds no households to survey"},
		"projects.gate.survey.none":                   {"还没有已结束的意愿征询（需要范围内至少%d/%d住户支持）", "No closed survey round yet (support of at least %d/%d of the households in scope is needed)"},
		"projects.gate.survey.met":                    {"意愿征询“%s”：%d/%d户支持（%s%%），达到%d/%d", "Survey “%s”: %d of %d households support (%s%%), at least %d/%d"},
		"projects.gate.survey.missing":                {"意愿征询“%s”：仅%d/%d户支持（%s%%），未达到%d/%d", "Survey “%s”: only %d of %d households support (%s%%), less than %d/%d"},
		"projects.gate.votes.met":                     {"需要业主表决的事项均已通过", "Every item that needs an owner vote has passed one"},
		"projects.gate.votes.missing":                 {"以下事项还没有通过的业主表决：%s", "These items still need a passed owner vote: %s"},
		"projects.gate.design_approval.met":           {"设计方案已审批", "The design approval is recorded"},
		"projects.gate.design_approval.missing":       {"还没有登记设计方案审批", "No design approval is recorded yet"},
		"projects.gate.funding.met":                   {"各项资金来源已落实，与预算一致", "Every item's funding adds up to its budget"},
		"projects.gate.funding.missing":               {"以下改造内容的资金来源与预算不一致（已落实 / 预算，元）：%s", "The funding of these items does not match the budget (funded / budget, yuan): %s"},
		"projects.gate.sample_acceptance.met":         {"样板已验收", "The sample's acceptance is recorded"},
		"projects.gate.sample_acceptance.missing":     {"样板还没有验收", "The sample has not been accepted yet"},
		"projects.gate.sample_feedback.met":           {"样板展示已征求居民意见（%d条）", "Residents' feedback on the sample was collected (%d opinions)"},
		"projects.gate.sample_feedback.open":          {"样板展示意见还有%d条（共%d条）未答复", "%d of %d opinions on the sample are not answered yet"},
		"projects.gate.sample_feedback.none":          {"还没有就样板展示征求居民意见", "No resident feedback on the sample has been collected"},
		"projects.gate.items_complete.met":            {"全部改造内容已完工", "Every work item is complete"},
		"projects.gate.items_complete.missing":        {"以下改造内容尚未完工：%s", "These work items are not complete: %s"},
		"projects.gate.completion_acceptance.met":     {"竣工验收已登记", "The completion acceptance is recorded"},
		"projects.gate.completion_acceptance.missing": {"还没有登记竣工验收", "No completion acceptance is recorded yet"},
		"projects.gate.unknown":                       {"未知条件：%s", "Unknown condition: %s"},
	}
}

package cases

// Messages returns the zh-CN and English texts of the case pages, for
// web.NewRenderer. Every key starts with "cases.".
func Messages() map[string][2]string {
	m := map[string][2]string{
		"cases.nav.report":            {"我要上报", "Report a problem"},
		"cases.nav.mine":              {"我的上报", "My reports"},
		"cases.nav.staff":             {"工单", "Cases"},
		"cases.conflict":              {"当前状态下不能办理：%s", "Not possible now: %s"},
		"cases.new.title":             {"我要上报", "Report a problem"},
		"cases.new.intro":             {"拍照、在地图上标出位置，几句话说明问题。我们会在5分钟内受理。", "Take a photo, pin the spot on the map and say in a few words what is wrong. We register it within 5 minutes."},
		"cases.category":              {"问题类别", "Kind of problem"},
		"cases.choose":                {"请选择", "Choose"},
		"cases.description":           {"问题描述", "Description"},
		"cases.location":              {"位置", "Location"},
		"cases.map_hint":              {"点击地图标出问题位置（默认为您家所在小区）。", "Tap the map where the problem is (it starts at your home compound)."},
		"cases.locate_me":             {"使用我的位置", "Use my location"},
		"cases.address":               {"地址（没有地图位置时必填）", "Address (needed without a map point)"},
		"cases.photos":                {"照片", "Photos"},
		"cases.photos_hint":           {"最多%d张 JPEG 或 PNG，每张不超过%d MB；照片中的位置等信息会被删除。", "Up to %d JPEG or PNG pictures of at most %d MB each; location and other metadata are removed."},
		"cases.contact":               {"联系电话（可选）", "Callback phone (optional)"},
		"cases.anonymous":             {"匿名上报（工作人员看不到姓名，需留联系电话以便回访）", "Report anonymously (staff do not see your name; leave a phone for the callback)"},
		"cases.submit":                {"提交上报", "Send the report"},
		"cases.nearby":                {"附近已有相同问题的上报", "Open reports of the same problem nearby"},
		"cases.nearby_hint":           {"如果是同一个问题，请直接加入，不用重复上报。", "If it is the same problem, join it instead of reporting it again."},
		"cases.join":                  {"加入此上报", "Join this report instead"},
		"cases.meters":                {"%d米", "%d m"},
		"cases.mine.title":            {"我的上报", "My reports"},
		"cases.mine.none":             {"您还没有上报过问题。", "You have not reported any problem yet."},
		"cases.reported_ok":           {"已提交，编号 #%d。", "Sent: case #%d."},
		"cases.joined_ok":             {"已加入 #%d，处理进展会同样通知您。", "You joined #%d and will follow its progress."},
		"cases.joined":                {"已加入", "joined"},
		"cases.history":               {"处理经过", "History"},
		"cases.verify":                {"确认已解决", "Confirm the fix"},
		"cases.verify_photo":          {"现场照片（可选）", "Photo (optional)"},
		"cases.reopen":                {"没解决，重新办理", "Not fixed: reopen"},
		"cases.reason":                {"原因", "Reason"},
		"cases.rate":                  {"评价", "Rate"},
		"cases.comment":               {"意见（可选）", "Comment (optional)"},
		"cases.note":                  {"说明", "Note"},
		"cases.clock.due":             {"%s后到期", "due in %s"},
		"cases.clock.overdue":         {"已超时%s", "overdue by %s"},
		"cases.clock.paused":          {"已暂停：%s", "paused: %s"},
		"cases.clock.none":            {"无进行中的时限", "no running deadline"},
		"cases.queue.title":           {"派遣队列", "Dispatch queue"},
		"cases.queue.all":             {"显示全部未结工单", "Show every open case"},
		"cases.queue.need":            {"只显示待受理和待派遣", "Only cases to accept or dispatch"},
		"cases.queue.none":            {"没有待处理的工单。", "Nothing to do."},
		"cases.count":                 {"共%d件", "%d in all"},
		"cases.today.title":           {"今日工单", "Today's cases"},
		"cases.today.none":            {"目前没有派给您的工单。", "No case is assigned to you."},
		"cases.today.none_due":        {"今天没有到期或您经手的工单。", "Nothing is due today and you have acted on no case today."},
		"cases.today.more":            {"另有%d件工单今天不到期，查看全部", "%d more open cases are not due today: show all"},
		"cases.today.only_today":      {"只看今日工单", "Only today's work"},
		"cases.inbox.title":           {"时限提醒", "Deadline alerts"},
		"cases.inbox.unread":          {"%d条未读", "%d unread"},
		"cases.inbox.none":            {"没有时限提醒。", "No deadline alert."},
		"cases.inbox.mark_read":       {"标为已读", "Mark read"},
		"cases.inbox.mark_all":        {"全部标为已读", "Mark all read"},
		"cases.inbox.as_assignee":     {"您承办", "assigned to you"},
		"cases.inbox.as_supervisor":   {"您督办", "you supervise"},
		"cases.inbox.kind.near_due":   {"即将到期", "near due"},
		"cases.inbox.kind.overdue":    {"已超时", "overdue"},
		"cases.inbox.due":             {"到期时间", "Due"},
		"cases.inbox.stage":           {"环节", "Stage"},
		"cases.inbox.at":              {"提醒时间", "Alerted"},
		"cases.detail.title":          {"工单", "Case"},
		"cases.case":                  {"工单 #%d", "Case #%d"},
		"cases.state":                 {"状态", "State"},
		"cases.deadline":              {"时限", "Deadline"},
		"cases.handler":               {"处置人", "Handler"},
		"cases.routed":                {"派往：%s", "routed to: %s"},
		"cases.owner":                 {"首接责任人", "First receiver"},
		"cases.dispatcher":            {"派遣员", "Dispatcher"},
		"cases.reporter":              {"上报人", "Reporter"},
		"cases.anonymous_rep":         {"匿名", "anonymous"},
		"cases.channel":               {"来源", "Channel"},
		"cases.reported_at":           {"上报时间", "Reported"},
		"cases.route_note":            {"分派依据", "Routing"},
		"cases.department":            {"责任部门", "Department"},
		"cases.followers":             {"另有%d人反映同一问题", "%d more people reported the same problem"},
		"cases.reopens":               {"重办%d次", "reopened %d times"},
		"cases.reveal":                {"显示完整号码", "Show the full number"},
		"cases.clocks":                {"各环节时限", "Deadlines per stage"},
		"cases.due":                   {"到期", "Due"},
		"cases.done_at":               {"完成", "Done"},
		"cases.events":                {"处理记录", "Events"},
		"cases.actor":                 {"办理人", "By"},
		"cases.time":                  {"时间", "Time"},
		"cases.followups":             {"回访记录", "Follow-ups"},
		"cases.method":                {"回访方式", "Method"},
		"cases.actions":               {"办理", "Actions"},
		"cases.assignee":              {"派给", "Assign to"},
		"cases.routed_handler":        {"按分派结果", "The routed handler"},
		"cases.merge_into":            {"重复的工单编号", "Number of the case this duplicates"},
		"cases.complex":               {"复杂问题（2天内给出方案）", "Complex problem (a plan within 2 days)"},
		"cases.fix_by":                {"计划完成日期", "Fix by"},
		"cases.resolve_photo":         {"处置后照片（必需）", "Photo of the fix (required)"},
		"cases.open":                  {"查看", "Open"},
		"cases.map":                   {"地图", "Map"},
		"cases.list":                  {"列表", "List"},
		"cases.photo":                 {"照片", "Photo"},
		"cases.none":                  {"无", "none"},
		"cases.group.54321":           {"社区服务（54321承诺）", "Community services (54321 promise)"},
		"cases.group.citymgmt":        {"城市管理", "City management"},
		"cases.group.12345":           {"12345热线事项", "12345 hotline matters"},
		"cases.method.phone":          {"电话", "phone"},
		"cases.method.visit":          {"上门", "visit"},
		"cases.method.online":         {"线上", "online"},
		"cases.clockstatus.running":   {"计时中", "running"},
		"cases.clockstatus.paused":    {"已暂停", "paused"},
		"cases.clockstatus.overdue":   {"已超时", "overdue"},
		"cases.clockstatus.met":       {"按时完成", "met"},
		"cases.clockstatus.late":      {"超时完成", "late"},
		"cases.clockstatus.cancelled": {"已取消", "cancelled"},
	}
	for k, v := range kpiMessages() {
		m[k] = v
	}
	for k, v := range map[State][2]string{
		StateReported: {"已上报", "reported"}, StateAccepted: {"已受理", "accepted"}, StateDispatched: {"已派遣", "dispatched"},
		StateSigned: {"已签收", "signed"}, StateOnSite: {"已到场", "on site"}, StateResolved: {"已办结", "resolved"},
		StatePlanAgreed: {"方案已确定", "plan agreed"}, StateVerified: {"已核查", "verified"}, StateFollowedUp: {"已回访", "followed up"},
		StateRated: {"已评价", "rated"}, StateClosed: {"已结案", "closed"}, StateReturned: {"已退回", "returned"},
		StateMerged: {"已合并", "merged"}, StateReopened: {"重新办理", "reopened"}, StateSuspended: {"已挂起", "suspended"},
	} {
		m["cases.state."+string(k)] = v
	}
	for k, v := range map[Action][2]string{
		ActReport: {"上报", "report"}, ActAccept: {"受理", "accept"}, ActDispatch: {"派遣", "dispatch"}, ActReassign: {"改派", "reassign"},
		ActReturn: {"退回", "return"}, ActSign: {"签收", "sign"}, ActArrive: {"到场", "arrive"}, ActAgreePlan: {"确定方案", "agree a plan"},
		ActResolve: {"办结", "resolve"}, ActVerify: {"核查确认", "verify"}, ActFollowUp: {"回访", "follow up"}, ActRate: {"评价", "rate"},
		ActClose: {"结案", "close"}, ActReopen: {"重新办理", "reopen"}, ActMerge: {"合并为重复", "merge as duplicate"},
		ActSuspend: {"挂起", "suspend"}, ActResume: {"恢复", "resume"}, ActJoin: {"他人加入", "joined"},
		ActNearDue: {"即将到期提醒", "near-due alert"}, ActOverdue: {"超时提醒", "overdue alert"},
	} {
		m["cases.action."+string(k)] = v
	}
	for k, v := range map[string][2]string{
		"accept": {"受理", "accept"}, "on_site": {"到场", "on site"}, "resolve": {"处置", "resolve"}, "plan": {"方案", "plan"},
		"follow_up": {"回访", "follow-up"},
	} {
		m["cases.stage."+k] = v
	}
	for k, v := range map[Rating][2]string{
		RatingSatisfied: {"满意", "satisfied"}, RatingBasically: {"基本满意", "basically satisfied"}, RatingDissatisfied: {"不满意", "dissatisfied"},
	} {
		m["cases.rating."+string(k)] = v
	}
	for k, v := range map[Channel][2]string{
		ChannelResident: {"居民上报", "resident"}, ChannelHotline: {"热线", "hotline"}, ChannelPatrol: {"网格巡查", "patrol"}, ChannelOpen311: {"Open311", "Open311"},
	} {
		m["cases.channel."+string(k)] = v
	}
	return m
}

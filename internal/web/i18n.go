package web

import (
	"fmt"
	"strings"
)

// Catalog holds every message in zh-CN and English.
type Catalog struct {
	msgs map[string][2]string
}

// NewCatalog returns the built-in catalogue plus extra messages (key → zh, en),
// which modules supply for their own data (facility categories, for example).
func NewCatalog(extra ...map[string][2]string) *Catalog {
	c := &Catalog{msgs: builtin()}
	for _, e := range extra {
		for k, v := range e {
			c.msgs[k] = v
		}
	}
	return c
}

// Has reports whether key is in the catalogue.
func (c *Catalog) Has(key string) bool {
	_, ok := c.msgs[key]
	return ok
}

// Keys returns every key.
func (c *Catalog) Keys() []string {
	out := make([]string, 0, len(c.msgs))
	for k := range c.msgs {
		out = append(out, k)
	}
	return out
}

// Translate returns the message for key in lang (English for "en…", Chinese
// otherwise), formatted with args. An unknown key is returned as is so that a
// missing message shows up instead of vanishing.
func (c *Catalog) Translate(lang, key string, args ...any) string {
	m, ok := c.msgs[key]
	if !ok {
		return key
	}
	s := m[0]
	if strings.HasPrefix(lang, "en") {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func builtin() map[string][2]string {
	return map[string][2]string{
		"app.name":       {"更新 · 城市更新与基层治理", "gengxin · urban renewal"},
		"app.footer":     {"更新 gengxin 开源平台", "gengxin open-source platform"},
		"app.osm_credit": {"底图数据 © OpenStreetMap 贡献者", "Map data © OpenStreetMap contributors"},
		"yes":            {"是", "yes"},
		"no":             {"否", "no"},

		"nav.menu":      {"菜单", "Menu"},
		"nav.map":       {"一张图", "Map"},
		"nav.regions":   {"辖区", "Regions"},
		"nav.search":    {"搜索", "Search"},
		"nav.me":        {"我的房屋", "My home"},
		"nav.residents": {"居民认证", "Resident checks"},
		"nav.imports":   {"数据导入", "Imports"},
		"nav.users":     {"用户", "Users"},
		"nav.apikeys":   {"接口密钥", "API keys"},
		"nav.audit":     {"审计日志", "Audit log"},
		"nav.logout":    {"退出", "Log out"},

		"role.admin":               {"管理员", "Administrator"},
		"role.district_officer":    {"区级工作人员", "District officer"},
		"role.subdistrict_officer": {"街道工作人员", "Subdistrict officer"},
		"role.community_worker":    {"社区工作者", "Community worker"},
		"role.grid_worker":         {"网格员", "Grid worker"},
		"role.department_handler":  {"部门处置人员", "Department handler"},
		"role.resident":            {"居民", "Resident"},
		"role.auditor":             {"审计员", "Auditor"},

		"level.city":        {"市", "City"},
		"level.district":    {"区", "District"},
		"level.subdistrict": {"街道", "Subdistrict"},
		"level.community":   {"社区", "Community"},
		"level.grid":        {"网格", "Grid"},

		"property.professional": {"专业物业", "Professional management"},
		"property.trust":        {"信托制物业", "Trust-model management"},
		"property.self":         {"业主自治", "Self-managed by owners"},
		"property.caretaker":    {"社区托管", "Community caretaker"},
		"property.none":         {"无物业", "No management"},

		"renovation.none":        {"未改造", "Not renovated"},
		"renovation.planned":     {"已列入计划", "Planned"},
		"renovation.in_progress": {"改造中", "In progress"},
		"renovation.done":        {"已改造", "Renovated"},

		"structure.brick_concrete": {"砖混", "Brick-concrete"},
		"structure.brick_wood":     {"砖木", "Brick-wood"},
		"structure.frame":          {"框架", "Frame"},
		"structure.shear_wall":     {"剪力墙", "Shear wall"},
		"structure.steel":          {"钢结构", "Steel"},
		"structure.other":          {"其他", "Other"},

		"kind.region":   {"区划", "Region"},
		"kind.compound": {"小区", "Compound"},
		"kind.facility": {"设施", "Facility"},

		"error.title":        {"出错了", "Something went wrong"},
		"error.back_home":    {"返回首页", "Back to the start page"},
		"error.not_found":    {"找不到该页面或对象。", "That page or object does not exist."},
		"error.internal":     {"系统内部错误，请稍后再试；问题已记录。", "Internal error; please try again later. It has been logged."},
		"error.out_of_scope": {"该对象不在您的管辖范围内。", "That object is outside the area you are responsible for."},
		"error.forbidden":    {"您的角色无权执行此操作。", "Your role may not do this."},
		"error.unauthorized": {"请先登录。", "Please log in first."},
		"error.csrf":         {"表单已过期或来源不明，请刷新页面后重试。", "The form has expired or did not come from this site; reload the page and try again."},
		"error.bad_level":    {"区划级别无效，可选：city、district、subdistrict、community、grid。", "Unknown region level; use city, district, subdistrict, community or grid."},
		"error.bad_request":  {"请求无效：%s", "Bad request: %s"},

		"login.title":        {"登录", "Log in"},
		"login.username":     {"用户名", "Username"},
		"login.password":     {"密码", "Password"},
		"login.submit":       {"登录", "Log in"},
		"login.failed":       {"用户名或密码不正确。", "Wrong username or password."},
		"login.disabled":     {"该账号已停用，请联系管理员。", "This account is disabled; ask an administrator."},
		"login.rate_limited": {"登录失败次数过多，请 15 分钟后再试。", "Too many failed logins; try again in 15 minutes."},
		"login.demo_hint":    {"演示账号：admin、district、subdistrict、community、grid、department、resident、auditor，密码均为 gengxin-demo-2026。", "Demo accounts: admin, district, subdistrict, community, grid, department, resident, auditor; password gengxin-demo-2026 for all."},

		"home.title":    {"工作台", "Overview"},
		"home.intro":    {"从一张图查看辖区的小区、楼栋、住户和配套设施；从辖区进入各街道、社区与网格。", "See the compounds, buildings, households and facilities of your area on one map, or walk down the region tree."},
		"home.open_map": {"打开一张图", "Open the map"},

		"stat.compounds":      {"小区", "Compounds"},
		"stat.pre2000":        {"2000年前建成小区", "Compounds built before 2001"},
		"stat.buildings":      {"楼栋", "Buildings"},
		"stat.no_elevator":    {"4层及以上无电梯楼栋", "Buildings of 4+ storeys without elevator"},
		"stat.households":     {"户数", "Households"},
		"stat.facilities":     {"配套设施", "Facilities"},
		"stat.entrances":      {"单元", "Entrances"},
		"stat.owners":         {"业主人数", "Owners"},
		"stat.area_m2":        {"专有部分面积（㎡）", "Exclusive area (m²)"},
		"stat.developer_held": {"开发商持有户数", "Developer-held units"},

		"regions.title":    {"辖区", "Regions"},
		"region.code":      {"区划代码", "Region code"},
		"region.on_map":    {"在地图上查看", "Show on the map"},
		"region.children":  {"下级区划", "Regions below"},
		"region.name":      {"名称", "Name"},
		"region.level":     {"级别", "Level"},
		"region.compounds": {"小区", "Compounds"},

		"compound.title":         {"小区", "Compound"},
		"compound.name":          {"小区名称", "Compound"},
		"compound.code":          {"编号", "Code"},
		"compound.address":       {"地址", "Address"},
		"compound.built_year":    {"建成年份", "Built"},
		"compound.property_mode": {"物业管理", "Property management"},
		"compound.renovation":    {"改造状态", "Renovation"},
		"compound.gates":         {"出入口数", "Gates"},
		"compound.location":      {"位置", "Location"},
		"compound.buildings":     {"楼栋", "Buildings"},
		"compound.nearby":        {"周边配套设施（1,000 米内）", "Facilities within 1,000 m"},
		"compound.nearby_note":   {"距离为小区中心点到设施的直线距离；步行距离见城市体检。", "Distances are straight lines from the compound centre; walking distances come with the health check."},
		"compound.edit":          {"编辑小区信息", "Edit compound"},
		"compound.edit_note":     {"每次修改都会记入审计日志（修改前后的内容）。", "Every change is written to the audit log with the values before and after."},
		"compound.no_nearby":     {"1,000 米内没有登记的配套设施。", "No recorded facility within 1,000 m."},

		"building.title":          {"楼栋", "Building"},
		"building.name":           {"楼栋", "Building"},
		"building.storeys":        {"层数", "Storeys"},
		"building.entrances":      {"单元数", "Entrances"},
		"building.elevator":       {"电梯", "Elevator"},
		"building.households":     {"户数", "Households"},
		"building.built_year":     {"建成年份", "Built"},
		"building.gas_pipe_year":  {"燃气管道年份", "Gas pipes laid"},
		"building.structure":      {"结构", "Structure"},
		"building.household_list": {"住户", "Households"},

		"household.entrance":       {"单元", "Entrance"},
		"household.room":           {"房号", "Room"},
		"household.floor":          {"楼层", "Floor"},
		"household.area":           {"专有面积（㎡）", "Exclusive area (m²)"},
		"household.owners":         {"业主", "Owners"},
		"household.developer_held": {"开发商持有", "developer-held"},
		"household.joint":          {"共有人", "joint owner"},
		"household.reveal":         {"查看完整号码", "Show full numbers"},
		"household.masked_note":    {"手机号和身份证号已脱敏显示；查看完整号码会记入审计日志。", "Phone and ID numbers are masked; every reveal is written to the audit log."},

		"facility.name":       {"设施", "Facility"},
		"facility.category":   {"类别", "Category"},
		"facility.distance_m": {"距离（米）", "Distance (m)"},
		"facility.capacity":   {"规模", "Capacity"},

		"search.title":       {"搜索", "Search"},
		"search.placeholder": {"小区名称、地址、社区或设施", "Compound name, address, community or facility"},
		"search.submit":      {"搜索", "Search"},
		"search.none":        {"没有找到匹配的结果。", "Nothing matches."},

		"audit.title":       {"审计日志", "Audit log"},
		"audit.actor":       {"操作人", "Actor"},
		"audit.action":      {"操作", "Action"},
		"audit.object_type": {"对象类型", "Object type"},
		"audit.object_id":   {"对象编号", "Object id"},
		"audit.object":      {"对象", "Object"},
		"audit.from":        {"开始日期", "From"},
		"audit.to":          {"结束日期", "To"},
		"audit.filter":      {"筛选", "Filter"},
		"audit.verify":      {"校验哈希链", "Verify the chain"},
		"audit.total":       {"共 %d 条记录", "%d entries"},
		"audit.time":        {"时间", "Time"},
		"audit.change":      {"变更", "Change"},
		"audit.details":     {"详情", "Details"},
		"audit.before":      {"变更前", "Before"},
		"audit.after":       {"变更后", "After"},
		"audit.hash":        {"哈希", "Hash"},
		"audit.intact":      {"哈希链完整：已校验 %d 条记录。", "Chain intact: %d entries checked."},
		"audit.broken":      {"哈希链在第 %d 条记录处断开：%s", "The chain is broken at entry %d: %s"},
		"pager.prev":        {"上一页", "Previous"},
		"pager.next":        {"下一页", "Next"},

		"me.title":            {"我的房屋", "My home"},
		"me.nearest":          {"离家最近的各类设施（1,000 米内）", "The nearest facility of each kind (within 1,000 m)"},
		"me.none":             {"您还没有已认证的房屋。请在下方填写房屋编号，由社区工作者核实。", "No verified home yet. Enter your household code below; a community worker will check it."},
		"me.pending":          {"待核实的申请", "Claims waiting for a check"},
		"me.claim":            {"申请绑定房屋（房屋编号）", "Claim a household (household code)"},
		"me.claim_hint":       {"房屋编号可向社区或物业询问，例如 C0001-B01-E1-0101。", "Ask your community office or property manager for the code, e.g. C0001-B01-E1-0101."},
		"me.submit":           {"提交申请", "Send the claim"},
		"me.requested":        {"申请已提交，社区工作者核实后即可查看。", "Claim sent; you will see the household once a community worker has checked it."},
		"me.code_required":    {"请填写房屋编号。", "Enter a household code."},
		"me.code_unknown":     {"房屋编号 %s 不存在，请核对后重试。", "There is no household with code %s; check it and try again."},
		"me.already":          {"您已申请或已绑定该房屋。", "You have already claimed this household."},
		"link.pending":        {"待核实", "waiting for a check"},
		"link.verified":       {"已认证", "verified"},
		"link.rejected":       {"未通过", "rejected"},
		"residents.title":     {"居民认证", "Resident checks"},
		"residents.user":      {"居民", "Resident"},
		"residents.household": {"申请的房屋", "Household claimed"},
		"residents.requested": {"申请时间", "Sent"},
		"residents.approve":   {"通过", "Approve"},
		"residents.reject":    {"不通过", "Reject"},
		"residents.none":      {"辖区内没有待核实的申请。", "No claims waiting in your area."},
		"residents.done":      {"已处理。", "Done."},

		"users.title":         {"用户管理", "Accounts"},
		"users.edit":          {"编辑用户", "Edit account"},
		"users.search":        {"用户名或姓名", "Username or name"},
		"users.total":         {"共 %d 个账号", "%d accounts"},
		"users.username":      {"用户名", "Username"},
		"users.display_name":  {"姓名", "Name"},
		"users.role":          {"角色", "Role"},
		"users.region":        {"管辖区域", "Area"},
		"users.region_code":   {"管辖区域代码（管理员、审计员、居民可留空）", "Region code (empty for administrators, auditors and residents)"},
		"users.everywhere":    {"全部", "everywhere"},
		"users.last_login":    {"最近登录", "Last login"},
		"users.status":        {"状态", "Status"},
		"users.active":        {"启用", "active"},
		"users.disabled":      {"停用", "disabled"},
		"users.new":           {"新建账号", "New account"},
		"users.password":      {"初始密码（至少 10 个字符）", "First password (at least 10 characters)"},
		"users.create":        {"创建", "Create"},
		"users.created":       {"账号 %s 已创建。", "Account %s created."},
		"users.save":          {"保存", "Save"},
		"users.saved":         {"已保存。", "Saved."},
		"users.new_password":  {"新密码（至少 10 个字符）", "New password (at least 10 characters)"},
		"users.set_password":  {"重置密码", "Set password"},
		"users.password_set":  {"密码已重置，该账号的登录会话已全部结束。", "Password set; every session of this account has ended."},
		"apikeys.title":       {"接口密钥", "API keys"},
		"apikeys.name":        {"用途", "Purpose"},
		"apikeys.prefix":      {"前缀", "Prefix"},
		"apikeys.last_used":   {"最近使用", "Last used"},
		"apikeys.revoke":      {"吊销", "Revoke"},
		"apikeys.revoked_tag": {"已吊销", "revoked"},
		"apikeys.revoked":     {"密钥已吊销。", "Key revoked."},
		"apikeys.new":         {"新建密钥", "New key"},
		"apikeys.create":      {"生成密钥", "Create key"},
		"apikeys.created":     {"密钥已生成。", "Key created."},
		"apikeys.once":        {"请立即复制并妥善保存，此密钥只显示这一次：", "Copy this key now and keep it safe; it is shown only once:"},
		"apikeys.usage":       {"其他系统调用接口时在请求头中携带 Authorization: Bearer 密钥。", "Other systems send the key as the header Authorization: Bearer KEY."},

		"imports.title":            {"数据导入", "Imports"},
		"imports.report":           {"导入报告", "Import report"},
		"imports.object_type":      {"数据类型", "Object type"},
		"imports.format":           {"文件格式", "Format"},
		"imports.auto":             {"按文件名判断", "From the file name"},
		"imports.crs":              {"坐标系", "Coordinate system"},
		"imports.gcj02":            {"高德、腾讯地图", "Amap, Tencent"},
		"imports.bd09":             {"百度地图", "Baidu"},
		"imports.file":             {"文件", "File"},
		"imports.dry_run":          {"只检查，不写入", "Check only, write nothing"},
		"imports.submit":           {"上传并导入", "Upload and import"},
		"imports.hint":             {"整个文件要么全部导入，要么一行都不写入；有问题的行会逐行列出行号和原因。列说明见 docs/import.md。", "A file imports completely or not at all; every bad row is listed with its line number and reason. Columns are described in docs/import.md."},
		"imports.recent":           {"最近的导入", "Recent imports"},
		"imports.rows":             {"行数", "Rows"},
		"imports.inserted":         {"写入", "Written"},
		"imports.skipped":          {"跳过", "Skipped"},
		"imports.line":             {"行号", "Line"},
		"imports.feature":          {"要素", "feature"},
		"imports.field":            {"字段", "Field"},
		"imports.reason":           {"原因", "Reason"},
		"imports.committed":        {"导入成功，共写入 %d 条。", "Imported: %d rows written."},
		"imports.dry_ok":           {"检查完成，文件没有问题（未写入）。", "Checked: the file has no problems (nothing written)."},
		"imports.rejected":         {"未导入：发现 %d 处问题，数据库未作任何改动。", "Not imported: %d problems found; the database is unchanged."},
		"imports.status_committed": {"已导入", "imported"},
		"imports.status_rejected":  {"已拒绝", "rejected"},
		"imports.bad_upload":       {"上传失败：%s", "Upload failed: %s"},
		"imports.no_file":          {"请选择要上传的文件。", "Choose a file to upload."},
		"imports.bad_field":        {"%s", "%s"},
		"imports.export_example":   {"导出本辖区小区（Excel）", "Export the compounds of your area (Excel)"},
		"object.region":            {"行政区划", "Regions"},
		"object.compound":          {"小区", "Compounds"},
		"object.building":          {"楼栋", "Buildings"},
		"object.entrance":          {"单元", "Entrances"},
		"object.household":         {"房屋（户）", "Households"},
		"object.owner":             {"业主", "Owners"},
		"object.household_owner":   {"房屋与业主关系", "Household owners"},
		"object.facility":          {"配套设施", "Facilities"},

		"checkup.title":             {"城市体检", "City health check"},
		"checkup.report":            {"体检报告", "Health-check report"},
		"checkup.print":             {"打印", "Print"},
		"checkup.running":           {"体检正在进行……", "A health check is running…"},
		"checkup.busy":              {"已有一次体检正在进行，请稍后再试。", "A health check is already running; try again when it has finished."},
		"checkup.run_of":            {"%d 年度体检", "Health check %d"},
		"checkup.all_regions":       {"全部辖区", "all regions"},
		"checkup.finished":          {"完成于", "finished"},
		"checkup.catalogue":         {"指标体系版本", "catalogue"},
		"checkup.walk_network":      {"含步行距离", "with walking distances"},
		"checkup.line_only":         {"仅直线距离", "straight-line distances only"},
		"checkup.findings_summary":  {"问题清单：新增 %d 项，持续 %d 项，已解决 %d 项。", "Findings: %d new, %d still open, %d resolved."},
		"checkup.export_indicators": {"导出指标（Excel）", "Export indicators (Excel)"},
		"checkup.no_run":            {"还没有完成的体检。", "No health check has been run yet."},
		"checkup.year":              {"体检年度", "Year"},
		"checkup.start":             {"开始体检", "Run the health check"},
		"checkup.indicator":         {"指标", "Indicator"},
		"checkup.variant":           {"计算方式", "Measured"},
		"checkup.variant.walk":      {"步行距离", "walking"},
		"checkup.variant.line":      {"直线距离", "straight line"},
		"checkup.value":             {"数值", "Value"},
		"checkup.threshold":         {"标准", "Threshold"},
		"checkup.verdict":           {"结论", "Verdict"},
		"checkup.pass":              {"达标", "pass"},
		"checkup.fail":              {"未达标", "fail"},
		"checkup.previous":          {"上次", "Previous"},
		"checkup.in_scope":          {"本辖区问题数", "Open findings in your area"},
		"checkup.not_computable":    {"暂无数据，未计算", "not computed: input missing"},
		"checkup.indicators":        {"指标体系与参数", "Indicators and parameters"},
		"checkup.parameters":        {"参数（JSON）", "Parameters (JSON)"},
		"checkup.params_hint":       {"修改的参数从下一次体检起生效，每次体检都会记录所用的参数；修改会记入审计日志。", "Changed parameters apply from the next run; every run stores the parameters it used, and every change is audited."},
		"checkup.params_reset":      {"恢复默认", "Back to the default"},
		"checkup.overridden":        {"已修改", "changed"},
		"checkup.params_json":       {"指标 %s 的参数须为 JSON 对象。", "The parameters of %s must be a JSON object."},
		"checkup.params_saved":      {"指标 %s 的参数已保存，下一次体检起生效。", "Parameters of %s saved; they apply from the next run."},
		"checkup.notes":             {"运行说明（%d 条）", "Notes of the run (%d)"},
		"checkup.history":           {"历次体检", "Runs"},
		"checkup.failing":           {"未达标对象数", "failing objects"},
		"checkup.chart_failing":     {"各指标未达标对象数", "Failing objects by indicator"},
		"checkup.chart_coverage":    {"覆盖率：步行与直线（%）", "Coverage: walking against straight line (%)"},
		"checkup.level.housing":     {"住房", "Housing"},
		"checkup.level.compound":    {"小区（社区）", "Compound"},
		"checkup.level.block":       {"街区", "Block"},
		"checkup.level.district":    {"城区", "District"},
		"checkup.status.running":    {"进行中", "running"},
		"checkup.status.done":       {"已完成", "done"},
		"checkup.status.failed":     {"失败", "failed"},
		"checkup.card":              {"生活圈", "Life circles"},
		"checkup.card_from":         {"来自 %d 年度体检：从小区出入口到设施的距离。", "From the %d health check: distances from the compound's gates to facilities."},
		"checkup.no_card":           {"还没有体检结果。", "No health-check result yet."},
		"checkup.circle":            {"生活圈·服务半径", "Circle · radius"},
		"checkup.nearest":           {"最近的设施", "Nearest"},
		"checkup.inside":            {"在服务半径内", "Within radius"},
		"checkup.none_within":       {"2 公里内没有", "none within 2 km"},
		"checkup.line_yes":          {"仅直线距离内", "in a straight line only"},
		"findings.title":            {"问题清单", "Findings"},
		"findings.detail":           {"问题详情", "Finding"},
		"findings.all":              {"全部", "all"},
		"findings.level":            {"层级", "Level"},
		"findings.export":           {"导出问题清单（Excel）", "Export findings (Excel)"},
		"findings.total":            {"共 %d 项", "%d findings"},
		"findings.object":           {"对象", "Object"},
		"findings.evidence":         {"依据", "Evidence"},
		"findings.source":           {"指标来源", "Source"},
		"findings.change":           {"变更状态", "Change status"},
		"findings.note":             {"说明", "Note"},
		"findings.history":          {"处理记录", "History"},
		"findings.by_run":           {"第 %d 次体检", "health check #%d"},
		"findings.saved":            {"状态已更新。", "Status changed."},
		"finding.status.new":        {"新发现", "new"},
		"finding.status.open":       {"待整改", "open"},
		"finding.status.in_project": {"已纳入项目", "in a project"},
		"finding.status.resolved":   {"已解决", "resolved"},
		"finding.status.verified":   {"已核验", "verified"},
		"nav.checkup":               {"城市体检", "Health check"},

		"map.title":          {"一张图", "Map"},
		"map.layers":         {"图层", "Layers"},
		"map.buildings_zoom": {"楼栋（放大后显示）", "Buildings (when zoomed in)"},
		"map.colour_by":      {"小区着色", "Colour compounds by"},
		"map.facilities":     {"配套设施", "Facilities"},
		"map.click_hint":     {"点击小区或楼栋查看详情。", "Click a compound or building for details."},
		"map.before1990":     {"1990年前", "before 1990"},
		"map.after2005":      {"2006年后", "2006 and later"},
		"map.open_compound":  {"打开小区页面", "Open the compound page"},
		"map.open_building":  {"查看住户", "Show households"},
	}
}

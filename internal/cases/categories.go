package cases

import (
	"strconv"
	"strings"

	"github.com/gengxin/gengxin/internal/sla"
)

// Category is a kind of problem a case is about: which SLA policy and grade
// its deadlines follow, and who handles it — the grid worker of the grid the
// point lies in (Department "") or the handlers of a department.
type Category struct {
	Code       string
	NameZH     string
	NameEN     string
	Policy     string // sla policy code
	Grade      string // grade of the policy; "" for the policy's default
	Department string // department code; "" for grid handling
}

// Name returns the category's name in lang ("en…" for English, else Chinese).
func (c Category) Name(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		return c.NameEN
	}
	return c.NameZH
}

// Department codes of the built-in catalogue.
const (
	DeptWater    = "water"    // 自来水公司
	DeptPower    = "power"    // 供电公司
	DeptGas      = "gas"      // 燃气公司
	DeptCityMgmt = "citymgmt" // 城市管理（综合执法）
	DeptHousing  = "housing"  // 住房和城乡建设
)

// Department is a unit that handles non-grid work; its handlers are users with
// the department_handler role who are members of it.
type Department struct {
	Code     string
	Name     string
	RegionID int64 // the area it serves; 0 for the whole deployment
}

// BuiltinDepartments returns the departments the built-in categories name.
func BuiltinDepartments() []Department {
	return []Department{
		{Code: DeptWater, Name: "自来水公司 Water company"},
		{Code: DeptPower, Name: "供电公司 Power company"},
		{Code: DeptGas, Name: "燃气公司 Gas company"},
		{Code: DeptCityMgmt, Name: "城市管理局 City management"},
		{Code: DeptHousing, Name: "住房和城乡建设局 Housing bureau"},
	}
}

// BuiltinCategories returns the built-in catalogue: community-service
// categories on the 54321 promise, digital city-management events on
// per-subtype working-hour limits, and 12345 hotline matters by grade. Each
// call returns a fresh slice; deployments pass their own with WithCategories.
func BuiltinCategories() []Category {
	return []Category{
		{"stairwell_light", "楼道照明", "Stairwell light", "54321", sla.GradeSimple, ""},
		{"pipe_leak", "水管漏水", "Leaking pipe", "54321", sla.GradeSimple, DeptWater},
		{"waste_removal", "垃圾清运", "Waste removal", "54321", sla.GradeSimple, ""},
		{"noise", "噪音扰民", "Noise nuisance", "54321", sla.GradeSimple, ""},
		{"facility_damage", "公共设施损坏", "Broken public facility", "54321", sla.GradeSimple, ""},
		{"exposed_waste", "暴露垃圾", "Exposed waste", "citymgmt", sla.SubtypeExposedWaste, DeptCityMgmt},
		{"manhole_cover", "井盖缺失", "Missing manhole cover", "citymgmt", sla.SubtypeManholeMissing, DeptCityMgmt},
		{"illegal_structure", "违法建设", "Illegal structure", "citymgmt", sla.SubtypeIllegalStructure, DeptCityMgmt},
		{"gas_leak", "燃气泄漏", "Gas leak", "12345", sla.GradeEmergency, DeptGas},
		{"power_outage", "停电", "Power outage", "12345", sla.GradeUtility, DeptPower},
		{"water_outage", "停水", "Water outage", "12345", sla.GradeUtility, DeptWater},
		{"general_request", "一般诉求", "General request", "12345", sla.GradeGeneral, ""},
		{"property_dispute", "物业纠纷", "Property-management dispute", "12345", sla.GradeComplex, DeptHousing},
	}
}

// Category returns the category with code from the service's catalogue.
func (s *Service) Category(code string) (Category, bool) {
	for _, c := range s.categories {
		if c.Code == code {
			return c, true
		}
	}
	return Category{}, false
}

// Categories returns the service's catalogue.
func (s *Service) Categories() []Category { return append([]Category(nil), s.categories...) }

// Policy returns the SLA policy with code.
func (s *Service) Policy(code string) (sla.Policy, bool) {
	for _, p := range s.policies {
		if p.Code == code {
			return p, true
		}
	}
	return sla.Policy{}, false
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func trimmed(s string) string { return strings.TrimSpace(s) }

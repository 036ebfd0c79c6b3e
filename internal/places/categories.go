package places

// Category is one kind of public facility, aligned with GB 50180-2018 and the
// complete-community (完整居住社区) guide. Radii and sizes are defaults a city may
// change.
type Category struct {
	Code    string
	NameZh  string
	NameEn  string
	Circle  int     // life circle in minutes (5, 10, 15), 0 for block level or none
	RadiusM float64 // service radius in metres; 0 if none applies
	Colour  string  // map colour
}

// Categories is the built-in facility catalogue.
var Categories = []Category{
	{"kindergarten", "幼儿园", "Kindergarten", 5, 300, "#e6550d"},
	{"nursery", "托育机构", "Nursery", 5, 300, "#fd8d3c"},
	{"primary_school", "小学", "Primary school", 10, 500, "#3182bd"},
	{"middle_school", "中学", "Middle school", 15, 1000, "#08519c"},
	{"health_station", "社区卫生服务站", "Community health station", 5, 300, "#de2d26"},
	{"health_centre", "社区卫生服务中心", "Community health centre", 15, 1000, "#a50f15"},
	{"elderly_daycare", "老年人日间照料中心", "Elderly day-care centre", 5, 300, "#756bb1"},
	{"elderly_home", "养老院", "Elderly home", 15, 1000, "#54278f"},
	{"community_service", "社区服务站", "Community service station", 5, 300, "#31a354"},
	{"street_service_centre", "街道服务中心", "Street-level service centre", 15, 1000, "#006d2c"},
	{"culture_station", "文化活动站", "Culture station", 5, 500, "#c51b8a"},
	{"culture_centre", "文化活动中心", "Culture centre", 15, 1000, "#7a0177"},
	{"market", "菜市场", "Fresh-food market", 10, 500, "#8c6d31"},
	{"supermarket", "超市", "Supermarket", 10, 500, "#bd9e39"},
	{"convenience_store", "便利店", "Convenience store", 0, 0, "#e7ba52"},
	{"park", "公园", "Park", 0, 500, "#2ca25f"},
	{"sports_large", "大型多功能运动场地", "Large sports ground", 15, 1000, "#0868ac"},
	{"sports_medium", "中型多功能运动场地", "Mid-size sports ground", 10, 500, "#43a2ca"},
	{"fitness", "室外综合健身场地", "Small sports ground / outdoor fitness", 5, 300, "#7bccc4"},
	{"public_toilet", "公共厕所", "Public toilet", 5, 0, "#636363"},
	{"waste_collection", "垃圾收集点", "Waste collection point", 5, 0, "#969696"},
	{"ev_charging", "电动汽车充电站", "EV charging", 0, 0, "#1c9099"},
	{"parking", "公共停车场", "Public parking", 0, 0, "#525252"},
	{"police_station", "派出所", "Police station", 15, 1000, "#252525"},
	{"parcel_locker", "快递柜", "Parcel lockers", 0, 0, "#bdbdbd"},
}

// CategoryByCode finds a category; ok is false for an unknown code.
func CategoryByCode(code string) (Category, bool) {
	for _, c := range Categories {
		if c.Code == code {
			return c, true
		}
	}
	return Category{}, false
}

// ParkRadius returns the service radius of a park by its site area (domain.md §1):
// ≥ 5,000 m² serves 500 m, 2,000–5,000 m² serves 300 m, smaller parks none.
func ParkRadius(siteAreaDM2 int64) float64 {
	switch {
	case siteAreaDM2 >= 5000*100:
		return 500
	case siteAreaDM2 >= 2000*100:
		return 300
	}
	return 0
}

// Messages returns the display names of the categories for the web catalogue,
// keyed "category.CODE".
func Messages() map[string][2]string {
	m := make(map[string][2]string, len(Categories))
	for _, c := range Categories {
		m["category."+c.Code] = [2]string{c.NameZh, c.NameEn}
	}
	return m
}

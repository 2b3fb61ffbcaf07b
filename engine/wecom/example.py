"""The API page's example employee (张三 / ``ZhangSan``), exactly as documented.

Shared by the simulator (which answers it for every month, as the demo's showcase) and
the payslip sample; the tests compare it with the page's example answer. It lacks
``holidays_over_sec`` and ``regular_days``, and its rest-day split does not add up
(205560 s against 172800 + 0): both are kept because the real service does the same.
"""

from __future__ import annotations

EXAMPLE_RECORD: dict = {
    "base_info": {
        "record_type": 1, "name": "张三", "name_ex": "Three Zhang",
        "departs_name": "有家企业/realempty;有家企业;有家企业/部门A4",
        "rule_info": {"groupid": 10, "groupname": "规则测试"}, "acctid": "ZhangSan",
    },
    "summary_info": {"except_days": 3, "regular_work_sec": 31, "standard_work_sec": 29040,
                     "work_days": 3, "rest_days": 0},
    "exception_infos": [{"count": 2, "duration": 28920, "exception": 4},
                        {"count": 1, "duration": 60, "exception": 1},
                        {"count": 1, "duration": 60, "exception": 2}],
    "sp_items": [{"count": 0, "duration": 0, "time_type": 0, "type": 100, "vacation_id": 0,
                  "name": "外勤次数"},
                 {"count": 1, "duration": 0, "time_type": 0, "type": 1, "vacation_id": 2,
                  "name": "年假"}],
    "overwork_info": {"workday_over_sec": 54000, "restdays_over_sec": 205560,
                      "workdays_over_as_vacation": 0, "workdays_over_as_money": 54000,
                      "restdays_over_as_vacation": 0, "restdays_over_as_money": 172800,
                      "holidays_over_as_vacation": 0, "holidays_over_as_money": 0},
}

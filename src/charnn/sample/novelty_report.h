// Printing novelty reports (novelty.h) for people, as text, and for programs,
// as JSON. `training_name` names the training text the report was made against.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "charnn/sample/novelty.h"

namespace charnn {

std::string format_items_report(const ItemsReport& report, const std::string& training_name);
nlohmann::json items_report_json(const ItemsReport& report, const std::string& training_name);

std::string format_prose_report(const ProseReport& report, const std::string& training_name);
nlohmann::json prose_report_json(const ProseReport& report, const std::string& training_name);

}  // namespace charnn
